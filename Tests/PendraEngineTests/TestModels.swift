import Foundation
import XCTest

/// Where the generated test models are: $PENDRA_MODELS_DIR, else the
/// package's models/ folder. Missing models fail the test (never skip):
/// `make test` generates them first.
enum TestModels {
    static var directory: String {
        if let d = ProcessInfo.processInfo.environment["PENDRA_MODELS_DIR"], !d.isEmpty { return d }
        // Tests/PendraEngineTests/TestModels.swift -> package root
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models").path
    }

    static func path(_ name: String) throws -> String {
        let p = directory + "/" + name
        guard FileManager.default.fileExists(atPath: p) else {
            XCTFail("missing test model \(p): run `make models` first")
            throw CocoaError(.fileNoSuchFile)
        }
        return p
    }
}
