import PendraEngine

/// Whether each model can serve a request now, in one place for /health,
/// /metrics and the models list.
extension PendraApp {
    struct ModelStatus: Equatable {
        /// ready, loading, unavailable, not_loaded (a stopped child) or
        /// on_demand (a local model loaded on first use).
        var state: String
        /// A request for it is served now (an on-demand model loads first).
        var available: Bool
        var reason: String?
    }

    func status(of m: ModelEntry) -> ModelStatus {
        if let s = children.state(m.id) {
            // A stopped child starts again on its next request.
            return ModelStatus(state: s.label, available: s.isReady || s == .stopped, reason: s.reason)
        }
        if store.isLoaded(m.id) { return ModelStatus(state: "ready", available: true) }
        if m.preload && lifecycle.phase == .loading { return ModelStatus(state: "loading", available: false) }
        return ModelStatus(state: "on_demand", available: true)
    }

    /// pendra_model_available{model} (1 or 0) for every model, and the
    /// restarts of child-process models.
    func registerAvailabilityMetrics() {
        for m in store.config.models {
            let labels = ["model": m.id]
            metrics.registerGaugeCallback("pendra_model_available", help: "1 when the model can serve requests now, else 0",
                                          labels: labels) { [weak self] in
                guard let self else { return 0 }
                return self.status(of: m).available ? 1 : 0
            }
            if children.contains(m.id) {
                metrics.registerGaugeCallback("pendra_child_restarts", help: "Times a child-process model was started again after a failure",
                                              labels: labels) { [weak self] in Double(self?.children.restarts(m.id) ?? 0) }
            }
        }
    }
}

/// /health's verdict, a pure function of the phase and the models.
enum HealthReport {
    struct Verdict: Equatable {
        var httpStatus: Int
        /// ready, degraded (some models down, others serving), loading,
        /// draining, unavailable (no model can serve).
        var status: String
        var retryAfter: Int?
    }

    static func verdict(phase: ServerLifecycle.Phase, models: [PendraApp.ModelStatus]) -> Verdict {
        switch phase {
        case .draining: return Verdict(httpStatus: 503, status: "draining", retryAfter: 10)
        case .loading: return Verdict(httpStatus: 503, status: "loading", retryAfter: 2)
        case .ready: break
        }
        let up = models.filter(\.available).count
        if !models.isEmpty && up == 0 {
            let loading = models.contains { $0.state == "loading" }
            return Verdict(httpStatus: 503, status: loading ? "loading" : "unavailable", retryAfter: loading ? 2 : 5)
        }
        return Verdict(httpStatus: 200, status: up == models.count ? "ready" : "degraded", retryAfter: nil)
    }
}

/// A model's memory as the catalogue and the dashboard show it: llama.cpp's
/// buffers once loaded here, else the estimate from its header.
enum ModelMemory {
    case measured(LlamaBufferSizes)
    case estimated(UInt64)

    var totalBytes: Int {
        switch self {
        case .measured(let used): Int(used.total)
        case .estimated(let bytes): Int(bytes)
        }
    }

    var isEstimate: Bool { if case .estimated = self { true } else { false } }

    var json: JSON {
        switch self {
        case .measured(let used):
            JSON(["weights_bytes": .int(Int(used.weights)), "cache_bytes": .int(Int(used.cache)),
                  "compute_bytes": .int(Int(used.compute)), "total_bytes": .int(Int(used.total))])
        case .estimated(let bytes):
            JSON(["estimated_bytes": .int(Int(bytes))])
        }
    }
}

extension PendraApp {
    func memory(of m: ModelEntry) -> ModelMemory {
        store.memory(m.id).map(ModelMemory.measured) ?? .estimated(store.estimatedBytes(m))
    }
}
