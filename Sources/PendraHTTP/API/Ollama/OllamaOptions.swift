import PendraEngine

/// Ollama's `options` object mapped onto the engine's sampling: what has a
/// counterpart is applied, the runner and hardware settings (`num_ctx`,
/// `num_gpu`, `num_thread`, ...) are accepted and named in the log as
/// ignored, since the config decides those per model.
struct OllamaOptions {
    var sampling = SamplingParameters()
    var maxTokens: Int?
    var stop: [String] = []
    /// Option names that were accepted but have no effect here.
    var ignored: [String] = []

    static let ignoredNames: Set<String> = [
        "num_ctx", "num_batch", "num_gpu", "main_gpu", "low_vram", "num_thread", "numa", "use_mmap",
        "use_mlock", "vocab_only", "logits_all", "embedding_only", "num_keep", "tfs_z", "typical_p",
        "mirostat", "mirostat_tau", "mirostat_eta", "penalize_newline", "f16_kv", "num_gqa", "rope_frequency_base",
        "rope_frequency_scale",
    ]

    static func parse(_ body: RequestBody) throws(APIError) -> OllamaOptions {
        var o = OllamaOptions()
        guard let raw = try body.object("options") else { return o }
        let opts = body.nested(raw, at: "options")
        if let t = try opts.double("temperature", min: 0, max: 2) { o.sampling.temperature = Float(t) }
        if let p = try opts.double("top_p", min: 0, max: 1) { o.sampling.topP = Float(p) }
        if let k = try opts.int("top_k", min: 0) { o.sampling.topK = k }
        if let m = try opts.double("min_p", min: 0, max: 1) { o.sampling.minP = Float(m) }
        if let r = try opts.double("repeat_penalty", min: 0) { o.sampling.repetitionPenalty = Float(r) }
        if let n = try opts.int("repeat_last_n", min: -1) {
            // -1: the whole context (capped: the window is a ring buffer); 0: off.
            o.sampling.penaltyWindow = n < 0 ? 8192 : n
        }
        if let p = try opts.double("presence_penalty", min: -2, max: 2) { o.sampling.presencePenalty = Float(p) }
        if let f = try opts.double("frequency_penalty", min: -2, max: 2) { o.sampling.frequencyPenalty = Float(f) }
        if let seed = try opts.int("seed") { o.sampling.seed = UInt32(truncatingIfNeeded: seed) }
        if let n = try opts.int("num_predict", min: -2) {
            // -1 (infinite) and -2 (fill the context) both run to the context's end.
            o.maxTokens = n < 0 ? nil : n
        }
        o.stop = try opts.stopStrings("stop")
        for (key, _) in raw where ignoredNames.contains(key) { o.ignored.append(key) }
        return o
    }
}
