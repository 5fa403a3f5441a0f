import Foundation

/// Token counters sampled at a fixed interval, so the dashboard can chart
/// tokens per second over the last minutes. It samples the same series
/// /metrics renders: the sum of `pendra_batch_size_tokens` (every token
/// through llama_decode, prompt and generated, counted as each step runs)
/// and `pendra_completion_tokens_total` (generated tokens, counted when
/// each request ends). Thread-safe.
public final class ThroughputHistory: @unchecked Sendable {
    public struct Sample: Sendable, Equatable {
        public var time: Double
        public var decodedTokens: Double
        public var completionTokens: Double
    }

    /// Tokens per second between two consecutive samples, at the later one.
    public struct Rate: Sendable, Equatable {
        public var time: Double
        public var decodedPerSecond: Double
        public var completionPerSecond: Double
    }

    public let interval: Double
    public let capacity: Int
    private let lock = NSLock()
    private var samples: [Sample] = []

    /// `capacity` samples at `interval` seconds: 150 x 2 s is five minutes.
    public init(interval: Double = 2, capacity: Int = 151) {
        self.interval = interval
        self.capacity = max(2, capacity)
    }

    public func add(_ s: Sample) {
        lock.withLock {
            samples.append(s)
            if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        }
    }

    /// One rate per pair of samples, oldest first. A counter that went down
    /// (a model's series replaced) reads as zero, never negative.
    public func rates() -> [Rate] {
        let s = lock.withLock { samples }
        guard s.count >= 2 else { return [] }
        return (1..<s.count).map { i in
            let dt = max(1e-9, s[i].time - s[i - 1].time)
            return Rate(time: s[i].time,
                        decodedPerSecond: max(0, s[i].decodedTokens - s[i - 1].decodedTokens) / dt,
                        completionPerSecond: max(0, s[i].completionTokens - s[i - 1].completionTokens) / dt)
        }
    }

    /// Samples `read` every `interval` seconds until the returned timer is
    /// cancelled (the app keeps it for its lifetime).
    public func start(_ read: @escaping @Sendable () -> Sample) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now(), repeating: interval, leeway: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.add(read()) }
        timer.resume()
        return timer
    }
}
