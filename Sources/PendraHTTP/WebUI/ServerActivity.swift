import Foundation

/// What the dashboard remembers beyond /metrics' totals: the last requests
/// and the token counters over time. Owned by the app; the sampler runs
/// only while the web page is served.
final class ServerActivity: @unchecked Sendable {
    let requests = RequestHistory()
    let throughput = ThroughputHistory()
    private let started = DispatchTime.now().uptimeNanoseconds
    private let lock = NSLock()
    private var timer: DispatchSourceTimer?

    var uptime: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

    /// Starts sampling `metrics` for `models` (the chat models' series).
    func startSampling(metrics: Metrics, models: [String]) {
        let batches = models.map { metrics.batchSizeTokens(model: $0) }
        let completions = models.map { metrics.completionTokens(model: $0) }
        let t = throughput.start {
            ThroughputHistory.Sample(time: Date().timeIntervalSince1970,
                                     decodedTokens: batches.reduce(0) { $0 + $1.snapshot().sum },
                                     completionTokens: completions.reduce(0) { $0 + $1.value })
        }
        lock.withLock { timer = t }
    }

    deinit { timer?.cancel() }
}
