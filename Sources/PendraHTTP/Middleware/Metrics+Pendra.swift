// Pendra's own series: names, help texts and bucket bounds in one place, so
// every caller registers them the same way.

extension Metrics {
    /// Names of the gauges the engine usually feeds through
    /// `registerGaugeCallback` (label `model`).
    public enum GaugeName {
        public static let activeSequences = "pendra_active_sequences"
        public static let queuedSequences = "pendra_queued_sequences"
        public static let kvCellsUsed = "pendra_kv_cells_used"
        public static let kvCellsTotal = "pendra_kv_cells_total"
        public static let openConnections = "pendra_open_connections"

        public static func help(_ name: String) -> String {
            switch name {
            case activeSequences: "Sequences currently prefilling or decoding"
            case queuedSequences: "Sequences waiting for a slot"
            case kvCellsUsed: "KV cache cells in use, cached prefixes included"
            case kvCellsTotal: "KV cache cells in the context"
            case openConnections: "Open HTTP connections"
            default: name
            }
        }
    }

    /// Fixed histogram bounds.
    public enum Buckets {
        public static let timeToFirstToken: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        public static let interTokenLatency: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1]
        public static let batchSizeTokens: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]
        public static let requestDuration: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
    }

    public func httpRequests(route: String, method: String, status: Int) -> MetricCounter {
        counter("pendra_http_requests_total", help: "HTTP requests answered, by route pattern, method and status",
                labels: ["route": route, "method": method, "status": String(status)])
    }

    public func promptTokens(model: String) -> MetricCounter {
        counter("pendra_prompt_tokens_total", help: "Prompt tokens processed", labels: ["model": model])
    }

    public func promptTokensReused(model: String) -> MetricCounter {
        counter("pendra_prompt_tokens_reused_total", help: "Prompt tokens served from the prefix cache",
                labels: ["model": model])
    }

    public func completionTokens(model: String) -> MetricCounter {
        counter("pendra_completion_tokens_total", help: "Completion tokens generated", labels: ["model": model])
    }

    /// A per-model gauge by one of the `GaugeName` names.
    public func modelGauge(_ name: String, model: String) -> MetricGauge {
        gauge(name, help: GaugeName.help(name), labels: ["model": model])
    }

    public func openConnections() -> MetricGauge {
        gauge(GaugeName.openConnections, help: GaugeName.help(GaugeName.openConnections))
    }

    public func timeToFirstToken(model: String) -> MetricHistogram {
        histogram("pendra_time_to_first_token_seconds", help: "Seconds from request to first generated token",
                  labels: ["model": model], buckets: Buckets.timeToFirstToken)
    }

    public func interTokenLatency(model: String) -> MetricHistogram {
        histogram("pendra_inter_token_latency_seconds", help: "Seconds between consecutive generated tokens",
                  labels: ["model": model], buckets: Buckets.interTokenLatency)
    }

    public func batchSizeTokens(model: String) -> MetricHistogram {
        histogram("pendra_batch_size_tokens", help: "Tokens per llama_decode batch",
                  labels: ["model": model], buckets: Buckets.batchSizeTokens)
    }

    /// Requests whose client left before the response finished; their
    /// generation was cancelled and its sequence freed.
    public func requestsAbandoned(route: String) -> MetricCounter {
        counter("pendra_requests_abandoned_total", help: "Requests whose client went away before the response finished",
                labels: ["route": route])
    }

    public func requestDuration(route: String) -> MetricHistogram {
        histogram("pendra_request_duration_seconds", help: "Seconds from request to last response byte",
                  labels: ["route": route], buckets: Buckets.requestDuration)
    }
}
