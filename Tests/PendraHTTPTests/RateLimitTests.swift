import Foundation
import XCTest
@testable import PendraHTTP

/// A clock moved by hand.
final class MiddlewareFakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double

    init(_ start: Double = 1000) { seconds = start }

    var now: MonotonicClock { { [self] in lock.withLock { seconds } } }
    func advance(_ by: Double) { lock.withLock { seconds += by } }
}

final class RateLimitTests: XCTestCase {
    // MARK: TokenBucket

    func testBucketStartsFullAndRefusesWhenEmpty() {
        let clock = MiddlewareFakeClock()
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 1, clock: clock.now)
        for _ in 0..<3 { XCTAssertNoThrow(try bucket.take().get()) }
        XCTAssertEqual(bucket.take().failure, RetryAfter(seconds: 1))
        clock.advance(0.5)
        XCTAssertEqual(bucket.take().failure, RetryAfter(seconds: 1), "half a token: still refused, retry >= 1 s")
        clock.advance(0.5)
        XCTAssertNoThrow(try bucket.take().get())
    }

    func testRefillIsCappedAtCapacity() {
        let clock = MiddlewareFakeClock()
        var bucket = TokenBucket(capacity: 2, refillPerSecond: 10, clock: clock.now)
        clock.advance(3600)
        XCTAssertEqual(bucket.available(), 2)
        XCTAssertNoThrow(try bucket.take(2).get())
        XCTAssertNotNil(bucket.take(1).failure)
    }

    func testRetryAfterRoundsUpToWholeSeconds() {
        let clock = MiddlewareFakeClock()
        // 60 per minute = 1 per second; 10 per minute = one every 6 s.
        var slow = TokenBucket(capacity: 10, refillPerSecond: 10.0 / 60, clock: clock.now)
        XCTAssertNoThrow(try slow.take(10).get())
        XCTAssertEqual(slow.take(1).failure, RetryAfter(seconds: 6))
        clock.advance(1)
        XCTAssertEqual(slow.take(1).failure, RetryAfter(seconds: 5))
        XCTAssertEqual(slow.take(3).failure, RetryAfter(seconds: 17))   // (3 - 1/6) * 6 = 17
        clock.advance(5)
        XCTAssertNoThrow(try slow.take(1).get())
    }

    func testRequestLargerThanCapacityWaitsForAFullBucket() {
        let clock = MiddlewareFakeClock()
        var bucket = TokenBucket(capacity: 4, refillPerSecond: 1, clock: clock.now)
        XCTAssertNoThrow(try bucket.take(4).get())
        XCTAssertEqual(bucket.take(100).failure, RetryAfter(seconds: 4))
    }

    func testChargeGoesIntoDebtAndCheckRefusesUntilRepaid() {
        let clock = MiddlewareFakeClock()
        var bucket = TokenBucket(capacity: 100, refillPerSecond: 10, clock: clock.now)
        XCTAssertNoThrow(try bucket.checkNotEmpty().get())
        bucket.charge(130)
        XCTAssertEqual(bucket.available(), -30)
        XCTAssertEqual(bucket.checkNotEmpty().failure, RetryAfter(seconds: 4))   // (1 + 30) / 10 = 3.1 -> 4
        clock.advance(3)
        XCTAssertNotNil(bucket.checkNotEmpty().failure)
        clock.advance(0.2)
        XCTAssertNoThrow(try bucket.checkNotEmpty().get())
    }

    func testClockGoingBackwardsNeitherAddsNorRemovesTokens() {
        let clock = MiddlewareFakeClock()
        var bucket = TokenBucket(capacity: 5, refillPerSecond: 1, clock: clock.now)
        XCTAssertNoThrow(try bucket.take(5).get())
        clock.advance(-100)
        XCTAssertEqual(bucket.available(), 0)
        clock.advance(101)
        XCTAssertEqual(bucket.available(), 1, accuracy: 1e-9)
    }

    // MARK: RateLimiter

    func testRequestsPerMinutePerOrganisation() {
        let clock = MiddlewareFakeClock()
        let limiter = RateLimiter(limits: RateLimits(requestsPerMinute: 2), clock: clock.now)
        XCTAssertNoThrow(try limiter.admit(org: "acme").get())
        XCTAssertNoThrow(try limiter.admit(org: "acme").get())
        guard case .failure(let error) = limiter.admit(org: "acme") else { return XCTFail("admitted") }
        XCTAssertEqual(error.status, 429)
        XCTAssertEqual(error.message, "Rate limit exceeded for organisation 'acme': requests per minute (2)")
        XCTAssertEqual(error.retryAfter, 30)
        XCTAssertEqual(error.response(family: .openai, requestId: "r").headers["Retry-After"], "30")
        XCTAssertNoThrow(try limiter.admit(org: "beta").get(), "buckets are per organisation")
        clock.advance(30)
        XCTAssertNoThrow(try limiter.admit(org: "acme").get())
    }

    func testTokensPerMinuteChargedAfterTheFact() {
        let clock = MiddlewareFakeClock()
        let limiter = RateLimiter(limits: RateLimits(tokensPerMinute: 600), clock: clock.now)
        XCTAssertNoThrow(try limiter.checkTokens(org: "acme").get())
        limiter.charge(org: "acme", tokens: 650)
        XCTAssertEqual(limiter.tokensAvailable(org: "acme"), -50)
        guard case .failure(let error) = limiter.checkTokens(org: "acme") else { return XCTFail("admitted") }
        XCTAssertEqual(error.message, "Rate limit exceeded for organisation 'acme': tokens per minute (600)")
        XCTAssertEqual(error.retryAfter, 6)   // (1 + 50) / 10 per second = 5.1 -> 6
        clock.advance(6)
        XCTAssertNoThrow(try limiter.checkTokens(org: "acme").get())
        XCTAssertNoThrow(try limiter.admit(org: "acme").get(), "rpm 0 is unlimited")
    }

    func testZeroMeansUnlimitedAndOverridesApply() {
        let limiter = RateLimiter(limits: .unlimited, overrides: ["tiny": RateLimits(requestsPerMinute: 1)],
                                  clock: MiddlewareFakeClock().now)
        for _ in 0..<1000 { XCTAssertNoThrow(try limiter.admit(org: "acme").get()) }
        limiter.charge(org: "acme", tokens: 1_000_000)
        XCTAssertNoThrow(try limiter.checkTokens(org: "acme").get())
        XCTAssertNil(limiter.tokensAvailable(org: "acme"))
        XCTAssertNoThrow(try limiter.admit(org: "tiny").get())
        XCTAssertEqual(limiter.admit(org: "tiny").failure?.retryAfter, 60)
    }

    func testConcurrentAdmitsNeverExceedCapacity() {
        let limiter = RateLimiter(limits: RateLimits(requestsPerMinute: 500), clock: MiddlewareFakeClock().now)
        let admitted = MetricCounter()
        DispatchQueue.concurrentPerform(iterations: 2000) { _ in
            if case .success = limiter.admit(org: "acme") { admitted.inc() }
        }
        XCTAssertEqual(admitted.value, 500)
    }
}

fileprivate extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
