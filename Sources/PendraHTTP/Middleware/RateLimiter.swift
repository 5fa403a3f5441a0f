import Foundation

/// Per-organisation limits: requests and tokens per minute; 0 is unlimited.
public struct RateLimits: Sendable, Equatable {
    public var requestsPerMinute: Int
    public var tokensPerMinute: Int

    public init(requestsPerMinute: Int = 0, tokensPerMinute: Int = 0) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    public static let unlimited = RateLimits()
}

/// Tokens taken from a bucket at admission (`RateLimiter.reserve`).
public struct TokenReservation: Sendable, Equatable {
    public let organisation: String
    public let tokens: Int
}

/// Two token buckets per organisation (requests per minute, tokens per
/// minute), created on first use. Requests are admitted before the work;
/// tokens are charged after it, since only then is the count known, and a
/// pre-check refuses new work while the token bucket is empty or in debt.
/// Thread-safe.
public final class RateLimiter: @unchecked Sendable {
    private struct Buckets {
        var requests: TokenBucket?
        var tokens: TokenBucket?
    }

    private let defaults: RateLimits
    private let overrides: [String: RateLimits]
    private let clock: MonotonicClock
    private let lock = NSLock()
    private var buckets: [String: Buckets] = [:]

    /// `overrides` sets other limits for named organisations.
    public init(limits: RateLimits, overrides: [String: RateLimits] = [:],
                clock: @escaping MonotonicClock = systemMonotonicClock) {
        self.defaults = limits
        self.overrides = overrides
        self.clock = clock
    }

    public func limits(for org: String) -> RateLimits { overrides[org] ?? defaults }

    /// Takes one request from `org`'s requests-per-minute bucket, or 429.
    public func admit(org: String) -> Result<Void, APIError> {
        let rpm = limits(for: org).requestsPerMinute
        guard rpm > 0 else { return .success(()) }
        let result = lock.withLock { () -> Result<Void, RetryAfter> in
            var entry = buckets[org] ?? Buckets()
            var bucket = entry.requests ?? makeBucket(perMinute: rpm)
            let r = bucket.take(1)
            entry.requests = bucket
            buckets[org] = entry
            return r
        }
        return result.mapError {
            .rateLimited(bucket: "requests per minute (\(rpm))", organisation: org, retryAfter: $0.seconds)
        }
    }

    /// Refuses (429) while `org`'s tokens-per-minute bucket is empty or in debt.
    public func checkTokens(org: String) -> Result<Void, APIError> {
        let tpm = limits(for: org).tokensPerMinute
        guard tpm > 0 else { return .success(()) }
        let result = withTokenBucket(org: org, tpm: tpm) { $0.checkNotEmpty() }
        return result.mapError {
            .rateLimited(bucket: "tokens per minute (\(tpm))", organisation: org, retryAfter: $0.seconds)
        }
    }

    /// Charges `tokens` (prompt + completion) after the work; may leave the
    /// bucket in debt, which `checkTokens` then refuses until it refills.
    public func charge(org: String, tokens: Int) {
        let tpm = limits(for: org).tokensPerMinute
        guard tpm > 0, tokens > 0 else { return }
        withTokenBucket(org: org, tpm: tpm) { $0.charge(Double(tokens)) }
    }

    /// Holds `tokens` (prompt + the most the request may generate) from
    /// `org`'s bucket before the work starts, or 429: concurrent requests
    /// cannot all get in on one bucket's balance. A request larger than the
    /// bucket needs a full one and takes all of it. Nil when unlimited.
    public func reserve(org: String, tokens: Int) -> Result<TokenReservation?, APIError> {
        let tpm = limits(for: org).tokensPerMinute
        guard tpm > 0, tokens > 0 else { return .success(nil) }
        let n = min(tokens, tpm)
        let result = withTokenBucket(org: org, tpm: tpm) { $0.take(Double(n)) }
        switch result {
        case .success: return .success(TokenReservation(organisation: org, tokens: n))
        case .failure(let wait):
            return .failure(.rateLimited(bucket: "tokens per minute (\(tpm)); this request may use \(tokens)",
                                         organisation: org, retryAfter: wait.seconds))
        }
    }

    /// Settles a reservation with what was used: the unused part goes back,
    /// anything beyond it is charged.
    public func settle(_ r: TokenReservation, used: Int) {
        let tpm = limits(for: r.organisation).tokensPerMinute
        guard tpm > 0 else { return }
        withTokenBucket(org: r.organisation, tpm: tpm) { bucket in
            if used > r.tokens { bucket.charge(Double(used - r.tokens)) } else { bucket.refund(Double(r.tokens - max(0, used))) }
        }
    }

    /// Tokens left for `org` right now (nil when unlimited).
    public func tokensAvailable(org: String) -> Double? {
        let tpm = limits(for: org).tokensPerMinute
        guard tpm > 0 else { return nil }
        return withTokenBucket(org: org, tpm: tpm) { $0.available() }
    }

    private func withTokenBucket<R>(org: String, tpm: Int, _ body: (inout TokenBucket) -> R) -> R {
        lock.withLock {
            var entry = buckets[org] ?? Buckets()
            var bucket = entry.tokens ?? makeBucket(perMinute: tpm)
            let r = body(&bucket)
            entry.tokens = bucket
            buckets[org] = entry
            return r
        }
    }

    private func makeBucket(perMinute: Int) -> TokenBucket {
        TokenBucket(capacity: Double(perMinute), refillPerSecond: Double(perMinute) / 60, clock: clock)
    }
}
