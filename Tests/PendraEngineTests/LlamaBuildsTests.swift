import Foundation
import XCTest
@testable import PendraEngine

final class LlamaBuildsTests: XCTestCase {
    func testBuildsAreFoundBesideTheRunningOne() {
        let portable = "/c/pendra/llama.cpp-0.3.36-cpu/lib"
        XCTAssertEqual(LlamaBuilds.directory(of: "native", besides: portable), "/c/pendra/llama.cpp-0.3.36-cpu-native/lib")
        XCTAssertEqual(LlamaBuilds.directory(of: "openblas", besides: portable), "/c/pendra/llama.cpp-0.3.36-cpu-blas/lib")
        XCTAssertEqual(LlamaBuilds.directory(of: "portable", besides: "/c/pendra/llama.cpp-0.3.36-cpu-native/lib"), portable)
        XCTAssertNil(LlamaBuilds.directory(of: "native", besides: "/c/pendra/llama.cpp-0.3.36-cuda/lib"), "not a CPU build")
        XCTAssertNil(LlamaBuilds.directory(of: "native", besides: "/usr/lib"))
        XCTAssertNil(LlamaBuilds.directory(of: "fast", besides: portable))
    }

    /// A folder with the three libraries.
    private func fakeBuild(_ root: URL, _ name: String) throws -> String {
        let lib = root.appendingPathComponent(name).appendingPathComponent("lib")
        try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
        for f in ["libllama.so.0", "libggml.so.0", "libggml-base.so.0"] {
            FileManager.default.createFile(atPath: lib.appendingPathComponent(f).path, contents: Data())
        }
        return lib.path
    }

    func testResolveNamesTheMissingBuildAndHowToMakeIt() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("builds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let current = try fakeBuild(root, "llama.cpp-0.3.36-cpu")
        guard case .failure(let why) = LlamaBuilds.resolve("native", current: current) else {
            return XCTFail("no native build exists")
        }
        XCTAssertTrue(why.message.contains("llama.cpp-0.3.36-cpu-native/lib") && why.message.contains("make llama NATIVE=1"), why.message)
        let native = try fakeBuild(root, "llama.cpp-0.3.36-cpu-native")
        XCTAssertEqual(try LlamaBuilds.resolve("native", current: current).get(), native)
        XCTAssertEqual(try LlamaBuilds.resolve("portable", current: current).get(), nil,
                       "the running build needs no child")
        XCTAssertEqual(try LlamaBuilds.resolve(native, current: current).get(), native, "a folder")
        guard case .failure = LlamaBuilds.resolve(root.appendingPathComponent("nowhere/lib").path, current: current) else {
            return XCTFail("an empty folder is no build")
        }
    }

    /// In a config, a folder is relative to the config file's.
    func testAConfigFolderIsRelativeToTheConfigFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("builds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let other = try fakeBuild(root, "other")
        let file = root.appendingPathComponent("c.json")
        try Data(#"{"models": [{"id": "a", "path": "a.gguf", "llama_build": "other/lib"}]}"#.utf8).write(to: file)
        XCTAssertEqual(try ServerConfig.load(path: file.path).models.first?.llamaLibraries, other)
    }

    /// The running process's own folder is found (the test binary links
    /// the pinned build like the server does).
    func testTheRunningBuildIsKnown() throws {
        let dir = try XCTUnwrap(LlamaBuilds.currentLibraryDirectory)
        XCTAssertTrue(LlamaBuilds.holdsLibraries(dir), dir)
    }

    func testAModelOnAnotherBuildRunsInAChild() {
        var m = ModelEntry(id: "m", path: "/m.gguf", capability: .chat, contextSize: nil, parallel: 1, batchSize: 512,
                           gpuLayers: 0, threads: nil, prefixCacheCells: nil, displayName: nil, licence: nil, preload: true)
        XCTAssertFalse(m.runsInChild)
        m.llamaLibraries = "/other/lib"
        XCTAssertTrue(m.runsInChild)
    }
}
