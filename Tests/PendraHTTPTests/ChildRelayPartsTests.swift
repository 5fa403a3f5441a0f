import XCTest
@testable import PendraHTTP
@testable import PendraEngine

/// The pure parts of the child-process relay: reading the child's
/// response, cutting streams into whole events, the dialects' failure
/// events, the restart policy and /health's verdict.
final class ChildRelayPartsTests: XCTestCase {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    private func body(_ events: [UpstreamResponseParser.Event]) -> String {
        String(decoding: events.flatMap { if case .body(let b) = $0 { return b }; return [] }, as: UTF8.self)
    }

    func testContentLengthResponseInPieces() throws {
        var p = UpstreamResponseParser()
        var events = try p.feed(bytes("HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Le"))
        XCTAssertTrue(events.isEmpty)
        events += try p.feed(bytes("ngth: 10\r\n\r\n{\"a\":"))
        guard case .head(let status, let headers)? = events.first else { return XCTFail("no head") }
        XCTAssertEqual(status, 502)
        XCTAssertEqual(headers["content-type"], "application/json")
        XCTAssertFalse(p.isComplete)
        events += try p.feed(bytes("true}"))
        XCTAssertEqual(body(events), "{\"a\":true}")
        XCTAssertTrue(p.isComplete)
        if case .end? = events.last {} else { XCTFail("no end") }
        XCTAssertTrue(try p.closed().isEmpty)
    }

    func testChunkedStreamAndCut() throws {
        var p = UpstreamResponseParser()
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
        var events = try p.feed(bytes(head + "6\r\ndata: \r\n3\r\nabc\r"))
        XCTAssertEqual(body(events), "data: abc")
        events = try p.feed(bytes("\n0\r\n\r\n"))
        XCTAssertTrue(p.isComplete)
        var cut = UpstreamResponseParser()
        _ = try cut.feed(bytes(head + "a\r\n12345"))
        XCTAssertThrowsError(try cut.closed()) { XCTAssertEqual(($0 as? UpstreamResponseParser.Malformed)?.reason, "closed before the end of the body") }
        var none = UpstreamResponseParser()
        XCTAssertThrowsError(try none.closed())
        var bad = UpstreamResponseParser()
        XCTAssertThrowsError(try bad.feed(bytes("SSH-2.0\r\n\r\n")))
        var badChunk = UpstreamResponseParser()
        XCTAssertThrowsError(try badChunk.feed(bytes(head + "zz\r\n")))
    }

    func testUnframedBodyEndsAtClose() throws {
        var p = UpstreamResponseParser()
        let e = try p.feed(bytes("HTTP/1.1 200 OK\r\n\r\nabc"))
        XCTAssertEqual(body(e), "abc")
        XCTAssertTrue(p.endsAtClose)
        XCTAssertEqual(try p.closed().count, 1)
        XCTAssertTrue(p.isComplete)
    }

    func testStreamsAreForwardedAsWholeEvents() {
        var sse = RelayStream(contentType: "text/event-stream")
        XCTAssertEqual(sse.framing, .sse)
        XCTAssertEqual(sse.take(bytes("data: {\"a\"")), [])
        XCTAssertEqual(String(decoding: sse.take(bytes(":1}\n\ndata: {\"b")), as: UTF8.self), "data: {\"a\":1}\n\n")
        XCTAssertEqual(String(decoding: sse.take(bytes("\":2}\n\nevent: x\ndata: 3\n\n")), as: UTF8.self), "data: {\"b\":2}\n\nevent: x\ndata: 3\n\n")
        XCTAssertEqual(sse.flush(), [])
        // A blank line split across reads still ends the event; one newline does not.
        XCTAssertEqual(sse.take(bytes("data: 4\n")), [])
        XCTAssertEqual(String(decoding: sse.take(bytes("\ndata: 5\n")), as: UTF8.self), "data: 4\n\n")
        XCTAssertEqual(String(decoding: sse.take(bytes("\n")), as: UTF8.self), "data: 5\n\n")
        var nd = RelayStream(contentType: "application/x-ndjson")
        XCTAssertEqual(String(decoding: nd.take(bytes("{\"a\":1}\n{\"b\"")), as: UTF8.self), "{\"a\":1}\n")
        XCTAssertEqual(String(decoding: nd.flush(), as: UTF8.self), "{\"b\"")
        var raw = RelayStream(contentType: "application/json")
        XCTAssertEqual(raw.take(bytes("{")), bytes("{"))
    }

    func testFailureEventsPerDialect() throws {
        let e = APIError.workerError("gone")
        let openai = String(decoding: RelayStream.failureFrames(family: .openai, path: "/v1/chat/completions", error: e, requestId: "r1"), as: UTF8.self)
        XCTAssertEqual(openai, "data: {\"error\":{\"message\":\"gone\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\ndata: [DONE]\n\n")
        let anthropic = String(decoding: RelayStream.failureFrames(family: .anthropic, path: "/v1/messages", error: e, requestId: "r1"), as: UTF8.self)
        XCTAssertEqual(anthropic, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"gone\"},\"request_id\":\"r1\"}\n\n")
        let ollama = String(decoding: RelayStream.failureFrames(family: .ollama, path: "/api/chat", error: e, requestId: "r1"), as: UTF8.self)
        XCTAssertEqual(ollama, "{\"error\":\"gone\"}\n")
        let responses = String(decoding: RelayStream.failureFrames(family: .openai, path: "/v1/responses", error: e, requestId: "r1"), as: UTF8.self)
        XCTAssertTrue(responses.hasPrefix("event: response.failed\ndata: "), responses)
        let data = try JSON.parse(Array(responses.split(separator: "\n")[1].dropFirst(6).utf8))
        XCTAssertEqual(data.object?["response"]?.object?["status"]?.string, "failed")
        XCTAssertEqual(data.object?["response"]?.object?["error"]?.object?["code"]?.string, "server_error")
    }

    func testRestartPolicyIsBoundedAndDoubles() {
        let p = ChildRestartPolicy(limit: 4, firstDelay: 2, maxDelay: 10)
        XCTAssertEqual((1...5).map { p.delay(afterFailures: $0) }, [2, 4, 8, 10, nil])
        XCTAssertNil(ChildRestartPolicy(limit: 0, firstDelay: 1).delay(afterFailures: 1))
    }

    func testHealthVerdict() {
        typealias S = PendraApp.ModelStatus
        let ready = S(state: "ready", available: true), down = S(state: "unavailable", available: false, reason: "x")
        let loading = S(state: "loading", available: false)
        XCTAssertEqual(HealthReport.verdict(phase: .ready, models: [ready]), .init(httpStatus: 200, status: "ready", retryAfter: nil))
        XCTAssertEqual(HealthReport.verdict(phase: .ready, models: [ready, down]), .init(httpStatus: 200, status: "degraded", retryAfter: nil))
        XCTAssertEqual(HealthReport.verdict(phase: .ready, models: [down]), .init(httpStatus: 503, status: "unavailable", retryAfter: 5))
        XCTAssertEqual(HealthReport.verdict(phase: .ready, models: [loading, down]).status, "loading")
        XCTAssertEqual(HealthReport.verdict(phase: .loading, models: [ready]), .init(httpStatus: 503, status: "loading", retryAfter: 2))
        XCTAssertEqual(HealthReport.verdict(phase: .draining, models: [ready]), .init(httpStatus: 503, status: "draining", retryAfter: 10))
    }

    func testWorkerIdIsStablePerHostAndPort() {
        let a = WorkerIdentity.derivedID(host: "box", port: 8080)
        XCTAssertEqual(a, WorkerIdentity.derivedID(host: "box", port: 8080))
        XCTAssertEqual(a, "wkr_" + a.dropFirst(4))
        XCTAssertEqual(a.count, 20)
        XCTAssertNotEqual(a, WorkerIdentity.derivedID(host: "box", port: 8081))
        XCTAssertNotEqual(a, WorkerIdentity.derivedID(host: "box2", port: 8080))
        XCTAssertEqual(WorkerIdentity.resolve(configured: "w1", name: "n", host: "box", port: 1).id, "w1")
        XCTAssertTrue(WorkerIDText.isValid(a))
    }

    func testProbeNamesARefusedPort() throws {
        // A port that was just free: bound, then closed.
        let (fd, port) = try SocketSupport.listen(host: "127.0.0.1", port: 0)
        XCTAssertNil(TCPProbe.check(RPCEndpoint(host: "127.0.0.1", port: port)), "a listening port answers")
        close(fd)
        XCTAssertEqual(TCPProbe.check(RPCEndpoint(host: "127.0.0.1", port: port)), "Connection refused")
    }
}
