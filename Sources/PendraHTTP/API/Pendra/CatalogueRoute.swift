import PendraEngine

/// GET /api/v1/catalogue: public. Every configured model, loaded or not,
/// described from its GGUF header (weights never read).
struct CatalogueRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let data: [JSON] = app.store.config.models.map { m in
            let info = app.store.info[m.id]
            var variant = JSONObject()
            variant["id"] = .string(m.id)
            variant["quantization"] = info.map { .string($0.quantizationName) } ?? .null
            variant["size_bytes"] = info.map { .int(Int($0.fileSize)) } ?? .null
            var e = JSONObject()
            e["id"] = .string(m.id)
            e["name"] = .string(app.displayName(m))
            e["backend"] = "pendra"
            e["capability"] = .string(m.capability.rawValue)
            e["parameter_size"] = info.map { .string($0.parameterSizeLabel) } ?? .null
            e["context_length"] = .int(app.contextLength(m))
            e["licence"] = (m.licence ?? info?.license).map { .string($0) } ?? .null
            e["architecture"] = info?.architecture.map { .string($0) } ?? .null
            e["loaded"] = .bool(app.store.isLoaded(m.id))
            e["memory"] = app.memory(of: m).json
            if m.capability == .chat {
                let kv = info?.kvCacheEstimate(context: app.contextLength(m), parallel: m.parallel,
                                              typeK: m.cacheTypeK, typeV: m.cacheTypeV, swaFull: m.swaFull)
                e["kv_cache"] = JSON([
                    "type_k": .string(m.cacheTypeK.rawValue), "type_v": .string(m.cacheTypeV.rawValue),
                    "estimated_bytes": kv.map { .int(Int($0.total)) } ?? .null,
                ])
                e["defaults"] = Self.defaults(m.defaults)
            }
            e["variants"] = [.object(variant)]
            return .object(e)
        }
        ctx.sendJSON(JSON(["data": .array(data)]).bytes)
    }

    /// The model's configured generation defaults; fields it does not set are left out.
    static func defaults(_ d: GenerationDefaults) -> JSON {
        var o = JSONObject()
        if let v = d.temperature { o["temperature"] = .double(Double(v)) }
        if let v = d.topP { o["top_p"] = .double(Double(v)) }
        if let v = d.topK { o["top_k"] = .int(v) }
        if let v = d.minP { o["min_p"] = .double(Double(v)) }
        if let v = d.repetitionPenalty { o["repeat_penalty"] = .double(Double(v)) }
        if let v = d.stop { o["stop"] = .array(v.map { .string($0) }) }
        if let v = d.maxTokens { o["max_tokens"] = .int(v) }
        return .object(o)
    }
}
