import XCTest
@testable import PendraHTTP

/// The head screen and the absolute body deadline, with a fake clock.
final class ConnectionScreenTests: XCTestCase {
    typealias Action = ConnectionStateMachine.Action

    private func refusal(_ actions: [Action]) -> String? {
        for case .sendRefusal(let bytes) in actions { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    private func delivered(_ actions: [Action]) -> [HTTPRequest] {
        actions.compactMap { if case .deliverRequest(let r) = $0 { r } else { nil } }
    }

    func testRefusedHeadClosesBeforeTheBody() {
        var seen: [(String, Int?)] = []
        var m = ConnectionStateMachine(limits: .init(), timeouts: .init(), screen: { head, length in
            seen.append((head.path, length))
            return head.headers["Authorization"] == nil ? Array("HTTP/1.1 401 Unauthorized\r\n\r\n".utf8) : nil
        })
        _ = m.start(now: 0)
        let actions = m.bytesReceived(Array("POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 30000000\r\n\r\nxxxx".utf8), now: 1)
        XCTAssertEqual(refusal(actions), "HTTP/1.1 401 Unauthorized\r\n\r\n")
        XCTAssertTrue(actions.contains { if case .close = $0 { true } else { false } })
        XCTAssertEqual(m.state, .closing)
        XCTAssertEqual(m.heldBytes, 0)
        XCTAssertEqual(seen.map(\.0), ["/v1/x"])
        XCTAssertEqual(seen.map(\.1), [30_000_000])
        // Nothing more is parsed or delivered on a refused connection.
        XCTAssertTrue(m.bytesReceived(Array(repeating: UInt8(ascii: "x"), count: 1000), now: 2).isEmpty)
    }

    func testAcceptedHeadReservesItsBodyUntilDelivery() {
        var m = ConnectionStateMachine(limits: .init(), timeouts: .init(), screen: { _, _ in nil })
        _ = m.start(now: 0)
        XCTAssertTrue(delivered(m.bytesReceived(Array("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nab".utf8), now: 0)).isEmpty)
        XCTAssertEqual(m.heldBytes, 1000)
        let done = delivered(m.bytesReceived(Array(repeating: UInt8(ascii: "b"), count: 998), now: 0))
        XCTAssertEqual(done.map(\.body.count), [1000])
        XCTAssertEqual(m.heldBytes, 0)
        // Expect: 100-continue is sent only once the head is accepted.
        _ = m.responseComplete(close: false, now: 1)
        let cont = m.bytesReceived(Array("PUT /b HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8), now: 1)
        XCTAssertTrue(cont.contains { if case .sendContinue = $0 { true } else { false } })
    }

    func testBodyDeadlineIsAbsolute() {
        var m = ConnectionStateMachine(limits: .init(), timeouts: .init(header: 10, idle: 60, body: 5))
        _ = m.start(now: 0)
        _ = m.bytesReceived(Array("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n".utf8), now: 1)
        XCTAssertEqual(m.deadline, 6)
        for t in stride(from: 1.5, to: 6, by: 0.5) {
            _ = m.bytesReceived([UInt8(ascii: "x")], now: t)
            XCTAssertEqual(m.deadline, 6, "a read at \(t) moved the deadline")
        }
        XCTAssertTrue(m.timerFired(now: 5.9).isEmpty)
        XCTAssertTrue(m.timerFired(now: 6).contains { if case .close = $0 { true } else { false } })
    }

    func testOverBudgetRefusesOnlyArrivingRequests() {
        var m = ConnectionStateMachine(limits: .init(), timeouts: .init())
        _ = m.start(now: 0)
        _ = m.bytesReceived(Array("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".utf8), now: 0)
        XCTAssertEqual(m.state, .readingBody)
        XCTAssertGreaterThanOrEqual(m.heldBytes, 5)
        XCTAssertEqual(refusal(m.overBudget(refusal: Array("503".utf8))), "503")
        XCTAssertEqual(m.heldBytes, 0)
        var busy = ConnectionStateMachine(limits: .init(), timeouts: .init())
        _ = busy.start(now: 0)
        _ = busy.bytesReceived(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        XCTAssertTrue(busy.overBudget(refusal: []).isEmpty)
        XCTAssertEqual(busy.state, .handling)
    }
}
