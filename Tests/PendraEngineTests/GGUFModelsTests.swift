import Foundation
import XCTest
@testable import PendraEngine

/// Every generated model in the models directory against the sidecar `<name>.gguf.json`
/// that `scripts/gen_models.py` writes from gguf-py's reader.
final class GGUFModelsTests: XCTestCase {
    func testGeneratedModelsMatchTheirGGUFPySidecars() throws {
        let directory = GGUFTestEnvironment.modelsDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let models = names.filter { $0.hasSuffix(".gguf") }.sorted()
        guard !models.isEmpty else {
            return XCTFail("no *.gguf files in \(directory); run `make models` first")
        }
        for model in models {
            let path = directory + "/" + model
            try GGUFReferenceComparison.assertMatchesSidecar(model: path, sidecar: path + ".json")
        }
    }
}
