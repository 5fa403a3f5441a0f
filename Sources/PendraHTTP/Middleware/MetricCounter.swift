import Foundation

/// One counter series (a name plus label values). Look it up once with
/// `Metrics.counter(_:help:labels:)`, keep it, and increment it: no registry
/// lookup on the hot path. Thread-safe.
public final class MetricCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total: Double = 0

    init() {}

    /// Adds `amount`; counters only go up, so negative or NaN amounts are ignored.
    public func inc(by amount: Double = 1) {
        guard amount > 0 else { return }
        lock.withLock { total += amount }
    }

    public func inc(by amount: Int) { inc(by: Double(amount)) }

    public var value: Double { lock.withLock { total } }
}

/// One gauge series: a value that goes up and down. Thread-safe.
public final class MetricGauge: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double = 0

    init() {}

    public func set(_ value: Double) { lock.withLock { current = value } }
    public func set(_ value: Int) { set(Double(value)) }
    public func inc(by amount: Double = 1) { lock.withLock { current += amount } }
    public func dec(by amount: Double = 1) { lock.withLock { current -= amount } }

    public var value: Double { lock.withLock { current } }
}
