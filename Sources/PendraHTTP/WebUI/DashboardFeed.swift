import PendraEngine

/// The dashboard's JSON, built from plain values so its shape is tested
/// without a model. Every number is one /metrics also renders (the same
/// gauge callbacks and counters), or the catalogue's memory figure. No
/// key, prompt or output text can reach it: none of these types holds one.
public enum DashboardFeed {
    /// One configured model, as the dashboard shows it.
    public struct ModelFacts: Sendable, Equatable {
        public var id: String
        public var name: String
        public var capability: String
        public var loaded: Bool
        /// False: loaded on first use ("on demand").
        public var preload: Bool
        /// llama.cpp's buffers once loaded, else the estimate from the header.
        public var memoryBytes: Int
        public var memoryEstimated: Bool
        public var kvCellsUsed: Int
        public var kvCellsTotal: Int
        public var activeSequences: Int
        public var queuedSequences: Int
        public var promptTokens: Int
        /// Prompt tokens served from the prefix cache (its hits, in tokens).
        public var promptTokensReused: Int
        public var completionTokens: Int

        public init(id: String, name: String, capability: String, loaded: Bool, preload: Bool, memoryBytes: Int,
                    memoryEstimated: Bool, kvCellsUsed: Int = 0, kvCellsTotal: Int = 0, activeSequences: Int = 0,
                    queuedSequences: Int = 0, promptTokens: Int = 0, promptTokensReused: Int = 0, completionTokens: Int = 0) {
            self.id = id
            self.name = name
            self.capability = capability
            self.loaded = loaded
            self.preload = preload
            self.memoryBytes = memoryBytes
            self.memoryEstimated = memoryEstimated
            self.kvCellsUsed = kvCellsUsed
            self.kvCellsTotal = kvCellsTotal
            self.activeSequences = activeSequences
            self.queuedSequences = queuedSequences
            self.promptTokens = promptTokens
            self.promptTokensReused = promptTokensReused
            self.completionTokens = completionTokens
        }
    }

    public static func json(time: Double, uptime: Double, defaultModel: String?, models: [ModelFacts],
                            interval: Double, rates: [ThroughputHistory.Rate], requests: [RequestRecord]) -> JSON {
        var o = JSONObject()
        o["time"] = .double(time)
        o["uptime_seconds"] = .double(uptime)
        o["default_model"] = defaultModel.map { .string($0) } ?? .null
        o["models"] = .array(models.map(model))
        o["throughput"] = JSON([
            "interval_seconds": .double(interval),
            "points": .array(rates.map { r in
                JSON(["time": .double(r.time), "decoded_tokens_per_second": .double(r.decodedPerSecond),
                      "completion_tokens_per_second": .double(r.completionPerSecond)])
            }),
        ])
        o["requests"] = .array(requests.reversed().map(request))
        return .object(o)
    }

    static func model(_ m: ModelFacts) -> JSON {
        var o = JSONObject()
        o["id"] = .string(m.id)
        o["name"] = .string(m.name)
        o["capability"] = .string(m.capability)
        o["loaded"] = .bool(m.loaded)
        o["on_demand"] = .bool(!m.preload)
        o["memory_bytes"] = .int(m.memoryBytes)
        o["memory_estimated"] = .bool(m.memoryEstimated)
        o["kv_cells_used"] = .int(m.kvCellsUsed)
        o["kv_cells_total"] = .int(m.kvCellsTotal)
        o["active_sequences"] = .int(m.activeSequences)
        o["queued_sequences"] = .int(m.queuedSequences)
        o["prompt_tokens"] = .int(m.promptTokens)
        o["prompt_tokens_reused"] = .int(m.promptTokensReused)
        o["completion_tokens"] = .int(m.completionTokens)
        return .object(o)
    }

    /// Newest first, as the page lists them.
    static func request(_ r: RequestRecord) -> JSON {
        var o = JSONObject()
        o["id"] = .string(r.id)
        o["time"] = .double(r.time)
        o["method"] = .string(r.method)
        o["route"] = .string(r.route)
        o["status"] = .int(r.status)
        o["duration_ms"] = .double(r.durationMs)
        o["model"] = r.model.map { .string($0) } ?? .null
        o["prompt_tokens"] = r.promptTokens.map { .int($0) } ?? .null
        o["completion_tokens"] = r.completionTokens.map { .int($0) } ?? .null
        o["client_closed"] = .bool(r.clientClosed)
        return .object(o)
    }
}
