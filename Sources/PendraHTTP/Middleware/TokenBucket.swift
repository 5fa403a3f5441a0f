import Dispatch

/// Seconds on a monotonic clock. Injected so tests can move time by hand.
public typealias MonotonicClock = @Sendable () -> Double

/// The process's monotonic clock (never jumps with wall-clock changes).
public let systemMonotonicClock: MonotonicClock = {
    Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000
}

/// A refused take: how long until it would succeed, in whole seconds (>= 1).
public struct RetryAfter: Error, Sendable, Equatable {
    public let seconds: Int
}

/// A token bucket: holds up to `capacity`, refills continuously at
/// `refillPerSecond`. Not locked: `RateLimiter` owns the lock around it.
public struct TokenBucket: Sendable {
    public let capacity: Double
    public let refillPerSecond: Double
    private let clock: MonotonicClock
    private var level: Double
    private var last: Double

    /// Starts full.
    public init(capacity: Double, refillPerSecond: Double, clock: @escaping MonotonicClock = systemMonotonicClock) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.clock = clock
        self.level = capacity
        self.last = clock()
    }

    /// The level now (negative after an after-the-fact `charge`).
    public mutating func available() -> Double {
        refill()
        return level
    }

    /// Takes `n` if that many are there; otherwise takes nothing and says
    /// when they will be.
    public mutating func take(_ n: Double = 1) -> Result<Void, RetryAfter> {
        refill()
        if level + TokenBucket.tolerance >= n {
            level -= n
            return .success(())
        }
        return .failure(RetryAfter(seconds: secondsUntil(n)))
    }

    /// Takes `n` unconditionally (usage known only after the work is done);
    /// the level may go negative, which refuses later takes until repaid.
    public mutating func charge(_ n: Double) {
        refill()
        level -= n
    }

    /// Gives back `n` taken earlier and not used, never above capacity.
    public mutating func refund(_ n: Double) {
        refill()
        level = min(capacity, level + n)
    }

    /// Success while anything is left; refuses when empty or in debt.
    public mutating func checkNotEmpty() -> Result<Void, RetryAfter> {
        refill()
        return level > 0 ? .success(()) : .failure(RetryAfter(seconds: secondsUntil(1)))
    }

    /// Absorbs floating-point error in rates like 2/60 per second, so a
    /// bucket that should be refilled after exactly 30 s is.
    static let tolerance = 1e-9

    private mutating func refill() {
        let now = clock()
        if now > last {
            level = min(capacity, level + (now - last) * refillPerSecond)
        }
        last = max(last, now)
    }

    /// Whole seconds until the level reaches `n` (at least 1); a request
    /// larger than the bucket waits for a full bucket.
    private func secondsUntil(_ n: Double) -> Int {
        guard refillPerSecond > 0 else { return 60 }
        let target = min(n, capacity)
        let wait = (target - level) / refillPerSecond
        guard wait.isFinite else { return 60 }
        return max(1, Int((wait - TokenBucket.tolerance).rounded(.up)))
    }
}
