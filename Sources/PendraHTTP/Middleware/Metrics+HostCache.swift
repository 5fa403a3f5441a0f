import PendraEngine

// The host-RAM prefix cache's series (prefix_cache_ram_mb), per model.

extension Metrics {
    public enum HostCacheName {
        public static let hits = "pendra_host_cache_hits_total"
        public static let misses = "pendra_host_cache_misses_total"
        public static let saves = "pendra_host_cache_saves_total"
        public static let restoreFailures = "pendra_host_cache_restore_failures_total"
        public static let bytes = "pendra_host_cache_bytes"
        public static let capacityBytes = "pendra_host_cache_capacity_bytes"
        public static let entries = "pendra_host_cache_entries"
        public static let restoreSeconds = "pendra_host_cache_restore_seconds"
    }

    /// A restore copies a saved state of up to hundreds of megabytes.
    public static let hostCacheRestoreBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    /// Turns an engine's host-cache events into counters and a histogram.
    public func hostCacheObserver(model: String) -> @Sendable (HostCacheEvent) -> Void {
        let labels = ["model": model]
        let hits = counter(HostCacheName.hits, help: "Admissions that restored a prefix saved in host RAM", labels: labels)
        let misses = counter(HostCacheName.misses,
                             help: "Admissions for which host RAM held no prefix longer than the KV cells did",
                             labels: labels)
        let saves = counter(HostCacheName.saves, help: "Prefixes evicted from the KV cells and saved in host RAM",
                            labels: labels)
        let failures = counter(HostCacheName.restoreFailures,
                               help: "Saved prefixes llama.cpp refused to restore (prefilled instead)", labels: labels)
        let seconds = histogram(HostCacheName.restoreSeconds, help: "Seconds to restore a saved prefix into a slot",
                                labels: labels, buckets: Metrics.hostCacheRestoreBuckets)
        return { event in
            switch event {
            case .hit(let s): hits.inc(); seconds.observe(s)
            case .miss: misses.inc()
            case .saved: saves.inc()
            case .restoreFailed: failures.inc()
            }
        }
    }

    /// Gauges of the pool's size, read at scrape time.
    public func registerHostCacheGauges(model: String, _ stats: @escaping @Sendable () -> HostCacheStats?) {
        let labels = ["model": model]
        registerGaugeCallback(HostCacheName.bytes, help: "Bytes of prefix states held in host RAM", labels: labels) {
            Double(stats()?.bytes ?? 0)
        }
        registerGaugeCallback(HostCacheName.capacityBytes, help: "Bytes the host-RAM prefix cache may hold (0: off)",
                              labels: labels) { Double(stats()?.capacityBytes ?? 0) }
        registerGaugeCallback(HostCacheName.entries, help: "Prefixes held in host RAM", labels: labels) {
            Double(stats()?.entries ?? 0)
        }
    }
}
