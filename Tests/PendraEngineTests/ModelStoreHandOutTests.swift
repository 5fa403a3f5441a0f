import XCTest
@testable import PendraEngine

/// `keep_alive: 0` unloads a model after a reply only when nobody got its
/// engine after that request: a request handed the engine a moment later
/// may not have submitted yet, and unloading would fail it.
final class ModelStoreHandOutTests: XCTestCase {
    private func store() throws -> ModelStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pendra-handout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.json")
        let model = try TestModels.path("tiny-llama.gguf")
        let body = "{\"models\": [{\"id\": \"t:1\", \"path\": \"\(model)\", \"context_size\": 256, \"parallel\": 1, \"threads\": 2}]}"
        try Data(body.utf8).write(to: file)
        let s = ModelStore(config: try ServerConfig.load(path: file.path))
        addTeardownBlock { s.shutdown() }
        return s
    }

    func testALaterHandOutKeepsTheModelLoaded() async throws {
        let s = try store()
        let mine = try await s.chatHandOut("t:1")
        XCTAssertEqual(mine.number, 1, "the load is the first hand-out")
        let theirs = try await s.chatHandOut("t:1")
        XCTAssertEqual(theirs.number, 2)
        XCTAssertFalse(s.unloadIfIdle("t:1", lastHandOut: mine.number), "someone got it after me")
        XCTAssertTrue(s.isLoaded("t:1"))
        XCTAssertTrue(s.unloadIfIdle("t:1", lastHandOut: theirs.number))
        XCTAssertFalse(s.isLoaded("t:1"))
        // Loaded again: the count starts over with the new load.
        let again = try await s.chatHandOut("t:1")
        XCTAssertEqual(again.number, 1)
    }
}
