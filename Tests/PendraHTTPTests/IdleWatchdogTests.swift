import Foundation
import XCTest
@testable import PendraHTTP

/// The chat idle timeout, on a clock moved by hand.
final class IdleWatchdogTests: XCTestCase {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var t: UInt64 = 1_000
        var now: UInt64 { lock.withLock { t } }
        func advance(seconds: Double) { lock.withLock { t += UInt64(seconds * 1e9) } }
    }
    final class Count: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.withLock { n += 1 } }
        var value: Int { lock.withLock { n } }
    }

    func testFiresOnlyPastTheTimeoutSinceTheLastTouchAndOnlyOnce() {
        let clock = Clock(), fired = Count()
        let w = IdleWatchdog(timeout: 10, clock: { clock.now }, startTimer: false) { fired.add() }
        clock.advance(seconds: 9.9)
        w.check()
        XCTAssertEqual(fired.value, 0)
        w.touch() // a token arrived: the wait starts again
        clock.advance(seconds: 9.9)
        w.check()
        XCTAssertEqual(fired.value, 0)
        XCTAssertFalse(w.fired)
        clock.advance(seconds: 0.2)
        w.check()
        XCTAssertEqual(fired.value, 1)
        XCTAssertTrue(w.fired)
        clock.advance(seconds: 100)
        w.touch()
        w.check()
        clock.advance(seconds: 100)
        w.check()
        XCTAssertEqual(fired.value, 1, "fires once")
    }

    /// The real timer drives `check`: with the clock moved past the timeout
    /// it fires within a tick, without any real waiting for the timeout.
    func testTheTimerChecksTheInjectedClock() {
        let clock = Clock()
        let fired = expectation(description: "fired")
        let w = IdleWatchdog(timeout: 3600, clock: { clock.now }, tick: 0.01) { fired.fulfill() }
        defer { w.stop() }
        clock.advance(seconds: 3601)
        wait(for: [fired], timeout: 5)
    }
}
