import Foundation

/// A thread-safe metrics registry that renders the Prometheus text format
/// 0.0.4. Ask it once for a series handle (`counter`, `gauge`, `histogram`)
/// and keep the handle: updates then touch only the handle's own lock. The
/// engine can instead register gauge callbacks, read at scrape time.
///
/// Registering one name as two kinds, or with two sets of histogram bounds,
/// is a programming error and traps.
public final class Metrics: @unchecked Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    private enum Series {
        case counter(MetricCounter)
        case gauge(MetricGauge)
        case histogram(MetricHistogram)
        case callback(@Sendable () -> Double)
    }

    private struct Family {
        let name: String
        let help: String
        let kind: Kind
        let bounds: [Double]
        var series: [String: Series] = [:]   // keyed by rendered label string
    }

    private let lock = NSLock()
    private var families: [String: Family] = [:]
    private var order: [String] = []

    public init() {}

    /// The counter series `name{labels}`, created at zero on first use.
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> MetricCounter {
        series(name, help: help, kind: .counter, bounds: [], labels: labels, make: { .counter(MetricCounter()) }) {
            if case .counter(let c) = $0 { return c }
            return nil
        }
    }

    /// The gauge series `name{labels}`, created at zero on first use.
    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> MetricGauge {
        series(name, help: help, kind: .gauge, bounds: [], labels: labels, make: { .gauge(MetricGauge()) }) {
            if case .gauge(let g) = $0 { return g }
            return nil
        }
    }

    /// The histogram series `name{labels}` with fixed upper `buckets`.
    public func histogram(_ name: String, help: String, labels: [String: String] = [:],
                          buckets: [Double]) -> MetricHistogram {
        let bounds = MetricHistogram(bounds: buckets).bounds
        return series(name, help: help, kind: .histogram, bounds: bounds, labels: labels,
                      make: { .histogram(MetricHistogram(bounds: bounds)) }) {
            if case .histogram(let h) = $0 { return h }
            return nil
        }
    }

    /// A gauge whose value `read` computes at each scrape (KV cells in use,
    /// queue depth). Replaces any series with the same name and labels.
    /// `read` runs outside the registry lock and must be quick.
    public func registerGaugeCallback(_ name: String, help: String, labels: [String: String] = [:],
                                      _ read: @escaping @Sendable () -> Double) {
        let key = checked(name, labels: labels)
        lock.withLock {
            ensureFamily(name, help: help, kind: .gauge, bounds: [])
            families[name]!.series[key] = .callback(read)
        }
    }

    /// Drops one series (e.g. a model's gauges when it is unloaded).
    public func remove(_ name: String, labels: [String: String] = [:]) {
        let key = PrometheusText.labelString(labels)
        lock.withLock { _ = families[name]?.series.removeValue(forKey: key) }
    }

    /// Every family in registration order, series sorted by labels.
    public func render() -> String {
        let snapshot: [Family] = lock.withLock { order.compactMap { families[$0] } }
        var out = ""
        for family in snapshot {
            out += "# HELP \(family.name) \(PrometheusText.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for key in family.series.keys.sorted() {
                render(family.name, key, family.series[key]!, into: &out)
            }
        }
        return out
    }

    private func render(_ name: String, _ labels: String, _ series: Series, into out: inout String) {
        let block = labels.isEmpty ? "" : "{\(labels)}"
        switch series {
        case .counter(let c): out += "\(name)\(block) \(PrometheusText.number(c.value))\n"
        case .gauge(let g): out += "\(name)\(block) \(PrometheusText.number(g.value))\n"
        case .callback(let read): out += "\(name)\(block) \(PrometheusText.number(read()))\n"
        case .histogram(let h):
            let (cumulative, sum, count) = h.snapshot()
            let prefix = labels.isEmpty ? "" : labels + ","
            for (i, bound) in h.bounds.enumerated() {
                out += "\(name)_bucket{\(prefix)le=\"\(PrometheusText.number(bound))\"} \(cumulative[i])\n"
            }
            out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(cumulative[h.bounds.count])\n"
            out += "\(name)_sum\(block) \(PrometheusText.number(sum))\n"
            out += "\(name)_count\(block) \(count)\n"
        }
    }

    private func series<T>(_ name: String, help: String, kind: Kind, bounds: [Double], labels: [String: String],
                           make: () -> Series, extract: (Series) -> T?) -> T {
        let key = checked(name, labels: labels)
        return lock.withLock {
            ensureFamily(name, help: help, kind: kind, bounds: bounds)
            if let existing = families[name]!.series[key], let handle = extract(existing) { return handle }
            let created = make()
            families[name]!.series[key] = created
            return extract(created)!
        }
    }

    /// Call with the lock held.
    private func ensureFamily(_ name: String, help: String, kind: Kind, bounds: [Double]) {
        if let family = families[name] {
            precondition(family.kind == kind, "metric \(name) is a \(family.kind.rawValue), not a \(kind.rawValue)")
            precondition(family.bounds == bounds, "histogram \(name) registered with other buckets")
            return
        }
        families[name] = Family(name: name, help: help, kind: kind, bounds: bounds)
        order.append(name)
    }

    private func checked(_ name: String, labels: [String: String]) -> String {
        precondition(PrometheusText.isValidMetricName(name), "invalid metric name \(name)")
        for label in labels.keys {
            precondition(PrometheusText.isValidLabelName(label) && label != "le", "invalid label name \(label)")
        }
        return PrometheusText.labelString(labels)
    }
}
