import XCTest
@testable import PendraHTTP

/// HTTP/1.1 behaviour over real sockets against a running HTTPServer.
final class ServerTests: XCTestCase {
    private var server: HTTPServer!

    override func setUpWithError() throws { server = try TestServer.start() }
    override func tearDown() { server.shutdown(gracePeriod: 1) }

    private func client() throws -> RawClient { try RawClient(port: server.boundPort) }

    func testKeepAliveReusesOneConnection() throws {
        let c = try client()
        for i in 0..<3 {
            try c.send("POST /echo?q=v\(i) HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nbody\(i)")
            let r = try c.readResponse()
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.text, "body\(i)")
            XCTAssertEqual(r.headers["X-Query-Q"], "v\(i)")
            XCTAssertNil(r.headers["Connection"])
        }
        XCTAssertEqual(server.activeConnections, 1)
    }

    func testPipelinedRequestsAnsweredInOrder() throws {
        let c = try client()
        try c.send("GET /slow?ms=200&id=first HTTP/1.1\r\nHost: t\r\n\r\n"
            + "GET /slow?ms=0&id=second HTTP/1.1\r\nHost: t\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nthird")
        XCTAssertEqual(try c.readResponse().text, "first")
        XCTAssertEqual(try c.readResponse().text, "second")
        XCTAssertEqual(try c.readResponse().text, "third")
    }

    func testChunkedUpload() throws {
        let c = try client()
        try c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        try c.send("4;ext=1\r\nWiki\r\n")
        usleep(20_000)
        try c.send("5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.text, "Wikipedia")
        XCTAssertEqual(r.headers["Content-Length"], "9")
    }

    func testExpectContinue() throws {
        let c = try client()
        try c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n")
        let interim = try c.readHead()
        XCTAssertEqual(interim.status, 100)
        try c.send("payload")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "payload")
    }

    func testHeadHasLengthButNoBody() throws {
        let c = try client()
        try c.send("HEAD /text HTTP/1.1\r\nHost: t\r\n\r\n")
        let r = try c.readResponse(head: true)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["Content-Length"], "11")
        // No stray body bytes: the next response parses cleanly.
        try c.send("GET /text HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "hello world")
    }

    func testStreamedEventsAreChunkedAndFinished() throws {
        let c = try client()
        try c.send("GET /stream?n=3 HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try c.readHead()
        XCTAssertEqual(head.headers["Transfer-Encoding"], "chunked")
        XCTAssertEqual(head.headers["Content-Type"], "text/event-stream")
        var events: [String] = []
        while let chunk = try c.readChunk() { events.append(String(decoding: chunk, as: UTF8.self)) }
        XCTAssertEqual(events, ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"])
        try c.send("GET /text HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
    }

    func testHTTP10StreamEndsWithClose() throws {
        let c = try client()
        try c.send("GET /stream?n=2 HTTP/1.0\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.text, "data: 0\n\ndata: 1\n\n")
        XCTAssertEqual(r.headers["Connection"], "close")
    }

    func testConnectionCloseIsHonoured() throws {
        let c = try client()
        try c.send("GET /text HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.headers["Connection"], "close")
        XCTAssertTrue(c.waitForClose(timeout: 2))
    }

    func testTransportErrorsAreJSONWithRequestID() throws {
        let cases: [(String, Int)] = [
            ("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
            ("GET / HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "a", count: 70_000) + "\r\n\r\n", 431),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999999\r\n\r\n", 413),
            ("GET /" + String(repeating: "u", count: 9000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: br\r\n\r\n", 501),
            ("GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            let c = try client()
            try c.send(text)
            let r = try c.readResponse()
            XCTAssertEqual(r.status, status)
            XCTAssertEqual(r.headers["Content-Type"], "application/json")
            XCTAssertEqual(r.headers["Connection"], "close")
            let id = r.headers["X-Request-Id"] ?? ""
            XCTAssertTrue(id.hasPrefix("req_") && id.count == 28 && id.dropFirst(4).allSatisfy(\.isHexDigit), id)
            let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
            XCTAssertFalse((json?["detail"] as? String ?? "").isEmpty)
            XCTAssertTrue(c.waitForClose(timeout: 3), "\(status) should close")
        }
    }
}
