import XCTest
@testable import PendraHTTP

/// Drives the state machine with a fake clock: no sockets, no threads.
final class ConnectionStateMachineTests: XCTestCase {
    typealias Action = ConnectionStateMachine.Action

    private func machine(header: Double = 10, idle: Double = 60, body: Double = 60) -> ConnectionStateMachine {
        ConnectionStateMachine(limits: .init(), timeouts: .init(header: header, idle: idle, body: body))
    }

    private func delivered(_ actions: [Action]) -> [String] {
        actions.compactMap { if case .deliverRequest(let r) = $0 { r.path } else { nil } }
    }

    private func closes(_ actions: [Action]) -> Bool {
        actions.contains { if case .close = $0 { true } else { false } }
    }

    private func timeout(_ actions: [Action]) -> Double?? {
        for case .scheduleTimeout(let at) in actions { return .some(at) }
        return nil
    }

    func testHeaderTimeoutClosesSlowClient() {
        var m = machine(header: 10)
        XCTAssertEqual(timeout(m.start(now: 0)), .some(10))
        var actions = m.bytesReceived(Array("GET / HTTP/1.1\r\nHo".utf8), now: 2)
        XCTAssertEqual(m.state, .readingHead)
        XCTAssertEqual(timeout(actions), .some(12))
        actions = m.bytesReceived(Array("st".utf8), now: 5)  // trickling does not extend the deadline
        XCTAssertTrue(timeout(actions) == nil)
        XCTAssertFalse(closes(m.timerFired(now: 11.9)))
        XCTAssertTrue(closes(m.timerFired(now: 12)))
        XCTAssertEqual(m.state, .closing)
    }

    func testSilentNewConnectionIsClosedAfterHeaderTimeout() {
        var m = machine(header: 0.5)
        _ = m.start(now: 100)
        XCTAssertFalse(closes(m.timerFired(now: 100.4)))
        XCTAssertTrue(closes(m.timerFired(now: 100.5)))
    }

    func testIdleKeepAliveTimeoutAndNoTimeoutWhileHandling() {
        var m = machine(header: 10, idle: 60)
        _ = m.start(now: 0)
        var actions = m.bytesReceived(Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: 1)
        XCTAssertEqual(delivered(actions), ["/a"])
        XCTAssertEqual(m.state, .handling)
        XCTAssertEqual(timeout(actions), .some(nil))
        XCTAssertTrue(m.timerFired(now: 1000).isEmpty)  // a long generation is never timed out
        m.responseStarted()
        XCTAssertEqual(m.state, .streaming)
        actions = m.responseComplete(close: false, now: 1000)
        XCTAssertEqual(m.state, .idle)
        XCTAssertEqual(timeout(actions), .some(1060))
        XCTAssertFalse(closes(m.timerFired(now: 1059)))
        XCTAssertTrue(closes(m.timerFired(now: 1060)))
    }

    func testPipelinedRequestsDeliveredOneAtATimeInOrder() {
        var m = machine()
        _ = m.start(now: 0)
        let text = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n"
        XCTAssertEqual(delivered(m.bytesReceived(Array(text.utf8), now: 0)), ["/1"])
        // More bytes while handling are only buffered.
        XCTAssertTrue(m.bytesReceived(Array("GET /4 HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: 0).isEmpty)
        XCTAssertEqual(delivered(m.responseComplete(close: false, now: 1)), ["/2"])
        XCTAssertEqual(delivered(m.responseComplete(close: false, now: 2)), ["/3"])
        XCTAssertEqual(delivered(m.responseComplete(close: false, now: 3)), ["/4"])
        let last = m.responseComplete(close: false, now: 4)
        XCTAssertTrue(delivered(last).isEmpty)
        XCTAssertEqual(m.state, .idle)
    }

    func testConnectionCloseAndHTTP10() {
        var m = machine()
        _ = m.start(now: 0)
        _ = m.bytesReceived(Array("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: 0)
        XCTAssertFalse(m.keepAlive)
        let actions = m.responseComplete(close: false, now: 1)
        XCTAssertTrue(closes(actions))
        XCTAssertTrue(delivered(actions).isEmpty)

        var m10 = machine()
        _ = m10.start(now: 0)
        _ = m10.bytesReceived(Array("GET / HTTP/1.0\r\n\r\n".utf8), now: 0)
        XCTAssertTrue(closes(m10.responseComplete(close: false, now: 1)))

        var keep10 = machine()
        _ = keep10.start(now: 0)
        _ = keep10.bytesReceived(Array("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8), now: 0)
        XCTAssertFalse(closes(keep10.responseComplete(close: false, now: 1)))
    }

    func testParseErrorSendsErrorThenCloses() {
        var m = machine()
        _ = m.start(now: 0)
        let actions = m.bytesReceived(Array("GET / HTTP/3.0\r\nHost: x\r\n\r\n".utf8), now: 0)
        guard case .sendError(let e)? = actions.first(where: { if case .sendError = $0 { true } else { false } }) else {
            return XCTFail("no error action")
        }
        XCTAssertEqual(e.status, 505)
        XCTAssertEqual(m.state, .closing)
        XCTAssertTrue(m.bytesReceived(Array("more".utf8), now: 1).isEmpty)
    }

    func testContinueThenBodyDeadlineThenDelivery() {
        var m = machine(header: 10, idle: 30, body: 30)
        _ = m.start(now: 0)
        let actions = m.bytesReceived(Array("PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8), now: 1)
        XCTAssertTrue(actions.contains { if case .sendContinue = $0 { true } else { false } })
        XCTAssertEqual(m.state, .readingBody)
        XCTAssertEqual(timeout(actions), .some(31))
        XCTAssertEqual(delivered(m.bytesReceived(Array("ok".utf8), now: 2)), ["/u"])
    }

    func testPeerCloseAndStopKeepAlive() {
        var m = machine()
        _ = m.start(now: 0)
        XCTAssertTrue(closes(m.stopKeepAlive()))
        var busy = machine()
        _ = busy.start(now: 0)
        _ = busy.bytesReceived(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: 0)
        XCTAssertTrue(busy.stopKeepAlive().isEmpty)  // the response in flight finishes first
        XCTAssertTrue(closes(busy.responseComplete(close: false, now: 1)))
        XCTAssertTrue(closes(busy.peerClosed()))
        XCTAssertEqual(busy.state, .closed)
    }

    func testReadingPausesWhenPipelinedBacklogGrows() {
        var m = machine()
        _ = m.start(now: 0)
        _ = m.bytesReceived(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: 0)
        XCTAssertTrue(m.wantsInput)
        _ = m.bytesReceived([UInt8](repeating: 65, count: 70 * 1024), now: 0)
        XCTAssertFalse(m.wantsInput)
    }
}
