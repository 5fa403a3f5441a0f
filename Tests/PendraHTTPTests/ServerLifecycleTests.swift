import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import PendraHTTP

/// Timeouts, disconnects, back-pressure, capacity and shutdown over real sockets.
final class ServerLifecycleTests: XCTestCase {
    func testSlowClientIsClosedAfterHeaderTimeout() throws {
        let server = try TestServer.start { $0.headerTimeout = 0.5 }
        defer { server.shutdown(gracePeriod: 0) }
        let c = try RawClient(port: server.boundPort)
        try c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        let started = Date()
        XCTAssertTrue(c.waitForClose(timeout: 3))
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(elapsed, 0.4)
        XCTAssertLessThan(elapsed, 1.5)
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let server = try TestServer.start { $0.idleTimeout = 0.3 }
        defer { server.shutdown(gracePeriod: 0) }
        let c = try RawClient(port: server.boundPort)
        try c.send("GET /text HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
        XCTAssertTrue(c.waitForClose(timeout: 2))
    }

    func testClientDisconnectMidStreamRunsOnClose() throws {
        let closed = TestSignal()
        let server = try TestServer.start(closed: closed)
        defer { server.shutdown(gracePeriod: 0) }
        // A response that finished before the client left does not count as a disconnect.
        var done: RawClient? = try RawClient(port: server.boundPort)
        try done!.send("GET /stream?n=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try done!.readResponse().text, "data: 0\n\n")
        done = nil
        usleep(100_000)
        XCTAssertEqual(closed.count, 0)
        var c: RawClient? = try RawClient(port: server.boundPort)
        try c!.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try c!.readHead().status, 200)
        XCTAssertNotNil(try c!.readChunk())
        XCTAssertEqual(closed.count, 0)
        c = nil  // closes the socket
        XCTAssertTrue(closed.wait(timeout: 2), "onClose did not run after the client left")
    }

    func testStalledReaderIsDroppedAtTheOutputBound() throws {
        let closed = TestSignal(), dropped = TestSignal()
        let server = try TestServer.start({ $0.maxOutputBufferBytes = 256 * 1024 }, closed: closed, dropped: dropped)
        defer { server.shutdown(gracePeriod: 0) }
        let c = try RawClient(port: server.boundPort, receiveBufferBytes: 4096)
        try c.send("GET /flood HTTP/1.1\r\nHost: t\r\n\r\n")
        // Never read: kernel buffers fill, then the server's bound is hit.
        XCTAssertTrue(dropped.wait(timeout: 10), "write never reported the drop")
        XCTAssertTrue(closed.wait(timeout: 2), "onClose did not run for the dropped peer")
        XCTAssertTrue(c.waitForClose(timeout: 5))
    }

    func testThousandIdleConnectionsWhileRequestsSucceed() throws {
        let server = try TestServer.start()
        defer { server.shutdown(gracePeriod: 0) }
        let rssBefore = Self.residentKiB()
        var idle: [RawClient] = []
        for _ in 0..<1000 { idle.append(try RawClient(port: server.boundPort)) }
        let deadline = Date().addingTimeInterval(5)
        while server.activeConnections < 1000 && Date() < deadline { usleep(10_000) }
        XCTAssertGreaterThanOrEqual(server.activeConnections, 1000)
        let c = try RawClient(port: server.boundPort)
        for _ in 0..<5 {
            try c.send("GET /text HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(try c.readResponse().text, "hello world")
        }
        // Every idle connection is still served.
        try idle[500].send("GET /text HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try idle[500].readResponse().status, 200)
        print("1000 idle connections: \(server.activeConnections) open, RSS +\(Self.residentKiB() - rssBefore) KiB (client and server in one process)")
    }

    func test256ConcurrentStreams() throws {
        let server = try TestServer.start()
        defer { server.shutdown(gracePeriod: 0) }
        var clients: [RawClient] = []
        for _ in 0..<256 {
            let c = try RawClient(port: server.boundPort)
            try c.send("GET /stream?n=5&delay=20 HTTP/1.1\r\nHost: t\r\n\r\n")
            clients.append(c)
        }
        let started = Date()
        for c in clients {
            let r = try c.readResponse()
            XCTAssertEqual(r.text, (0..<5).map { "data: \($0)\n\n" }.joined())
        }
        // 256 streams of 5 x 20 ms ran concurrently, not one after another.
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testOverMaxConnectionsGets503JSON() throws {
        let server = try TestServer.start { $0.maxConnections = 2 }
        defer { server.shutdown(gracePeriod: 0) }
        let a = try RawClient(port: server.boundPort), b = try RawClient(port: server.boundPort)
        for c in [a, b] {
            try c.send("GET /text HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(try c.readResponse().status, 200)
        }
        let third = try RawClient(port: server.boundPort)
        let r = try third.readResponse()
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(r.headers["Content-Type"], "application/json")
        XCTAssertEqual(r.text, "{\"detail\":\"Too many connections\"}")
        XCTAssertNotNil(r.headers["X-Request-Id"])
    }

    func testShutdownFinishesInFlightThenClosesStreams() throws {
        let closed = TestSignal()
        let server = try TestServer.start(closed: closed)
        let slow = try RawClient(port: server.boundPort)
        try slow.send("GET /slow?ms=300&id=done HTTP/1.1\r\nHost: t\r\n\r\n")
        let stream = try RawClient(port: server.boundPort)
        try stream.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try stream.readHead().status, 200)
        usleep(50_000)
        let started = Date()
        server.shutdown(gracePeriod: 1)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 3)
        let r = try slow.readResponse()
        XCTAssertEqual(r.text, "done")
        XCTAssertEqual(r.headers["Connection"], "close")
        XCTAssertTrue(closed.wait(timeout: 2), "the stream cut by shutdown did not run onClose")
        XCTAssertThrowsError(try RawClient(port: server.boundPort))
    }

    func testAddressInUseIsReported() throws {
        let server = try TestServer.start()
        defer { server.shutdown(gracePeriod: 0) }
        let port = server.boundPort
        XCTAssertThrowsError(try TestServer.start { $0.port = port }) { error in
            XCTAssertTrue("\(error)".contains("Address already in use"), "\(error)")
        }
    }

    func testIPv6Loopback() throws {
        var config = HTTPServerConfig()
        config.host = "::1"
        config.port = 0
        let server = HTTPServer(config: config) { _, writer in writer.send(HTTPResponse(status: 204)) }
        do { try server.start() } catch { throw XCTSkip("no IPv6 loopback: \(error)") }
        defer { server.shutdown(gracePeriod: 0) }
        XCTAssertGreaterThan(server.boundPort, 0)
    }

    func testTerminationSignalIsCaught() {
        let fd = HTTPServer.installTerminationHandler()
        XCTAssertGreaterThanOrEqual(fd, 0)
        let returned = TestSignal()
        let thread = Thread {
            HTTPServer.awaitTermination(fd)
            returned.fire()
        }
        thread.start()
        XCTAssertFalse(returned.wait(timeout: 0.1))
        kill(getpid(), SIGTERM)
        XCTAssertTrue(returned.wait(timeout: 2))
    }

    static func residentKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ")[1]) ?? 0
    }
}
