import Foundation
import XCTest
@testable import PendraHTTP
@testable import PendraEngine

/// The relay's check of a request body: only a body that may name a
/// child-process model is parsed (the local route parses it anyway).
final class ChildRelayCheckTests: XCTestCase {
    private func children() throws -> ChildModels {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pendra-relaycheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.json")
        try Data(#"{"server": {}, "models": [{"id": "far", "path": "a.gguf", "isolated": true}, {"id": "near", "path": "b.gguf"}]}"#.utf8)
            .write(to: file)
        let c = ChildModels(config: try ServerConfig.load(path: file.path))
        XCTAssertFalse(c.isEmpty)
        return c
    }

    private final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        var count: Int { lock.withLock { n } }
        func inc() { lock.withLock { n += 1 } }
    }

    func testANonChildModelIsNeitherRelayedNorParsed() async throws {
        let c = try children()
        let body = Array(#"{"model": "near", "messages": [{"role": "user", "content": "far away"}]}"#.utf8)
        let request = HTTPRequest(method: "POST", target: "/v1/chat/completions", path: "/v1/chat/completions", body: body)
        let writer = MiddlewareRecordingWriter()
        let ctx = RequestContext(request: request, writer: writer, requestId: "r", principal: nil, family: .openai,
                                 route: "/v1/chat/completions")
        let parses = Calls()
        let relayed = await c.relayIfChild(ctx, defaultModel: "near", resolve: { $0 }, parse: { b in
            parses.inc()
            return ChildModels.requestedModel(b)
        })
        XCTAssertFalse(relayed)
        XCTAssertEqual(parses.count, 0, "the relay check parsed a body that names no child model")
        XCTAssertTrue(writer.responses.isEmpty)
    }

    func testTheByteCheck() throws {
        let c = try children()
        func may(_ s: String, _ d: String? = nil) -> Bool { c.mayNameChild(Array(s.utf8), defaultModel: d) }
        XCTAssertTrue(may(#"{"model":"far"}"#))
        XCTAssertTrue(may(#"{"name": "far", "x": 1}"#))
        XCTAssertFalse(may(#"{"model":"near","prompt":"how far is it"}"#), "a word in a prompt is not an id as a JSON string")
        XCTAssertFalse(may(#"{"model":"farther"}"#))
        // claude-* resolves to the default model: a child only when that one is.
        XCTAssertTrue(may(#"{"model":"claude-sonnet-4"}"#, "far"))
        XCTAssertFalse(may(#"{"model":"claude-sonnet-4"}"#, "near"))
        XCTAssertFalse(may(#"{"model":"claude-sonnet-4"}"#))
        XCTAssertTrue(ChildModels.contains(Array("abc".utf8), Array("bc".utf8)))
        XCTAssertFalse(ChildModels.contains(Array("ab".utf8), Array("abc".utf8)))
    }
}
