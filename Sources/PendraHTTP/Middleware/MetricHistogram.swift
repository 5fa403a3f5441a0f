import Foundation

/// One histogram series with fixed upper bounds (`le`). Observations are
/// counted in the first bucket whose bound is >= the value; rendering makes
/// the counts cumulative and adds `+Inf`. Thread-safe.
public final class MetricHistogram: @unchecked Sendable {
    public let bounds: [Double]
    private let lock = NSLock()
    private var counts: [UInt64]      // one per bound, plus one for +Inf
    private var sum: Double = 0
    private var count: UInt64 = 0

    /// `bounds` are sorted and deduplicated; infinities and NaN are dropped
    /// (`+Inf` is always implied).
    init(bounds: [Double]) {
        self.bounds = Array(Set(bounds.filter(\.isFinite))).sorted()
        self.counts = Array(repeating: 0, count: self.bounds.count + 1)
    }

    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let index = bucketIndex(value)
        lock.withLock {
            counts[index] &+= 1
            sum += value
            count &+= 1
        }
    }

    /// Cumulative counts per bound (the last one is `+Inf`), sum and count,
    /// read together.
    public func snapshot() -> (cumulative: [UInt64], sum: Double, count: UInt64) {
        let (c, s, n) = lock.withLock { (counts, sum, count) }
        var running: UInt64 = 0
        return (c.map { running &+= $0; return running }, s, n)
    }

    /// Binary search for the first bound >= value.
    private func bucketIndex(_ value: Double) -> Int {
        var lo = 0, hi = bounds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if bounds[mid] >= value { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
