import Foundation

extension ServerConfig {
    /// Reads and checks a config file. Paths of models are relative to the
    /// file's folder. Every problem is a `ConfigError` naming the field.
    public static func load(path: String) throws(ConfigError) -> ServerConfig {
        func fail(_ m: String) -> ConfigError { ConfigError(file: path, message: m) }
        guard FileManager.default.fileExists(atPath: path) else { throw fail("file not found") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        let json: JSON
        do { json = try JSON.parse(Array(data)) } catch { throw fail("invalid JSON: \(error.message)") }
        guard let root = json.object else { throw fail("top level must be a JSON object") }
        try ConfigRanges.check(root, file: path)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()

        guard let list = root["models"]?.array else { throw fail("\"models\" must be an array") }
        var models: [ModelEntry] = []
        for (i, item) in list.enumerated() {
            let at = "models[\(i)]"
            guard let m = item.object else { throw fail("\(at) must be an object") }
            let f = Fields(object: m, at: at, fail: fail)
            let id = try f.string("id", required: true)!
            guard !id.isEmpty, !id.contains(where: { $0.isWhitespace }) else { throw fail("\(at).id must be a non-empty name without spaces") }
            guard !models.contains(where: { $0.id == id }) else { throw fail("\(at).id \"\(id)\" appears twice") }
            let rawPath = try f.string("path", required: true)!
            let full = Self.path(rawPath, from: base)
            let capName = try f.string("capability") ?? "chat"
            guard let cap = Capability(rawValue: capName) else {
                throw fail("\(at).capability \"\(capName)\" is unknown (use chat, embedding or rerank)")
            }
            let licence = try f.string("licence")
            let license = try f.string("license")
            var entry = ModelEntry(
                id: id, path: full, capability: cap,
                contextSize: try f.int("context_size", min: 16),
                parallel: try f.int("parallel", min: 1, max: 256) ?? (cap == .chat ? 4 : 32),
                batchSize: try f.int("batch_size", min: 1) ?? 2048,
                gpuLayers: try f.int("gpu_layers", min: -1) ?? -1,
                threads: try f.int("threads", min: 1),
                prefixCacheCells: try f.int("prefix_cache_cells", min: 0),
                displayName: try f.string("name"),
                licence: licence ?? license,
                preload: try f.bool("preload") ?? true)
            try Self.readEngineOptions(f, into: &entry)
            try Self.readScaleOut(f, into: &entry)
            try Self.readLlamaBuild(f, into: &entry, configFolder: base)
            entry.chatTemplatePath = try f.string("chat_template").map { Self.path($0, from: base) }
            if let raw = m["defaults"], !raw.isNull {
                guard let d = raw.object else { throw fail("\(at).defaults must be an object") }
                entry.defaults = try Self.readDefaults(Fields(object: d, at: "\(at).defaults", fail: fail))
            }
            models.append(entry)
        }
        resolveDraftModels(&models, base: base)

        let server = root["server"]?.object ?? [:]
        if let s = root["server"], s.object == nil { throw fail("\"server\" must be an object") }
        let s = Fields(object: server, at: "server", fail: fail)
        var keys: [KeyEntry] = []
        if let rawKeys = server["api_keys"] {
            guard let arr = rawKeys.array else { throw fail("server.api_keys must be an array") }
            for (i, k) in arr.enumerated() {
                let at = "server.api_keys[\(i)]"
                guard let o = k.object else { throw fail("\(at) must be an object") }
                let kf = Fields(object: o, at: at, fail: fail)
                let role = try kf.string("role") ?? "member"
                guard role == "owner" || role == "member" else { throw fail("\(at).role must be owner or member") }
                keys.append(KeyEntry(key: try kf.string("key", required: true)!, role: role,
                                     organisation: try kf.string("organisation") ?? "default",
                                     name: try kf.string("name")))
            }
        }
        let defaultModel = try s.string("default_model")
        if let d = defaultModel, !models.contains(where: { $0.id == d }) {
            throw fail("server.default_model \"\(d)\" is not one of the models")
        }
        let keysFile = try s.string("api_keys_file").map { Self.path($0, from: base) }
        var config = ServerConfig(
            models: models,
            workerName: try s.string("worker_name") ?? ProcessInfo.processInfo.hostName,
            apiKeys: keys,
            defaultModel: defaultModel,
            requestsPerMinute: try s.int("requests_per_minute", min: 0) ?? 0,
            tokensPerMinute: try s.int("tokens_per_minute", min: 0) ?? 0,
            memoryBudgetBytes: UInt64(try s.int("memory_budget_mb", min: 0) ?? 0) << 20,
            keepAliveSeconds: try s.double("keep_alive_seconds") ?? 300,
            maxWaiting: try s.int("max_waiting", min: 1) ?? 256,
            chatTimeoutSeconds: try s.double("chat_timeout_seconds") ?? 100,
            embeddingTimeoutSeconds: try s.double("embedding_timeout_seconds") ?? 60,
            maxBodyBytes: (try s.int("max_body_mb", min: 1) ?? 32) << 20,
            maxHeaderBytes: (try s.int("max_header_kb", min: 1) ?? 64) << 10,
            headerTimeoutSeconds: try s.double("header_timeout_seconds") ?? 10,
            idleTimeoutSeconds: try s.double("idle_timeout_seconds") ?? 60,
            maxConnections: try s.int("max_connections", min: 1) ?? 4096,
            source: path)
        config.apiKeysFile = keysFile
        config.loadTimeoutSeconds = try s.double("load_timeout_seconds") ?? 600
        config.security = try SecurityConfig.load(server: server, file: path)
        config.webUI = try s.bool("webui") ?? true
        try config.readScaleOut(s)
        return config
    }

    private static func readEngineOptions(_ f: Fields, into e: inout ModelEntry) throws(ConfigError) {
        e.prefixCache = try f.bool("prefix_cache") ?? true
        e.prefixCacheRAMMB = try f.int("prefix_cache_ram_mb", min: 0) ?? ModelEntry.defaultPrefixCacheRAMMB
        e.swaFull = try f.bool("swa_full") ?? false
        e.flashAttention = try f.bool("flash_attention")
        e.cacheTypeK = try f.cacheType("cache_type_k") ?? .f16
        e.cacheTypeV = try f.cacheType("cache_type_v") ?? .f16
        e.targetITLMilliseconds = try f.double("target_itl_ms") ?? 400
        e.speculation = try readSpeculation(f, capability: e.capability)
    }

    /// `speculative`: false / true (n-gram drafting with its defaults) or
    /// {"type": "ngram", "draft_max": 8, "ngram_max": 4, "ngram_min": 2}, or
    /// {"type": "draft", "draft_model": "small.gguf", "draft_max": 8, "p_min": 0};
    /// either with "adaptive" (default true: SpeculationGate). A
    /// model-level `draft_model` is the same draft model: with it, `true` or
    /// no `speculative` means type draft, and `false` turns it off. The draft
    /// model's path stays as written until resolveDraftModels.
    private static func readSpeculation(_ f: Fields, capability: Capability) throws(ConfigError) -> SpeculationConfig {
        let outer = try f.string("draft_model")
        if let outer {
            guard capability == .chat else { throw f.fail("\(f.at).draft_model is for chat models") }
            guard !outer.isEmpty else { throw f.fail("\(f.at).draft_model must not be empty") }
        }
        let v = f.object["speculative"]
        if v == nil || v!.isNull {
            return outer.map { SpeculationConfig(draftModel: DraftModelOptions(path: $0)) } ?? .off
        }
        if let b = v!.bool {
            guard b else { return .off }
            return outer.map { SpeculationConfig(draftModel: DraftModelOptions(path: $0)) } ?? SpeculationConfig(ngram: NgramDrafter())
        }
        guard let o = v!.object else { throw f.fail("\(f.at).speculative must be true, false or an object") }
        let s = Fields(object: o, at: f.at + ".speculative", fail: f.fail)
        let inner = try s.string("draft_model")
        let type = try s.string("type") ?? ((outer ?? inner) != nil ? "draft" : "ngram")
        let draftMax = try s.int("draft_max", min: 1, max: 256) ?? 8
        let adaptive = try s.bool("adaptive") ?? true
        switch type {
        case "ngram":
            if outer != nil || inner != nil {
                throw f.fail("\(f.at): draft_model is for speculative type draft (ngram drafts from the sequence itself)")
            }
            if o["p_min"] != nil { throw f.fail("\(s.at).p_min is for type draft") }
            let maxN = try s.int("ngram_max", min: 1, max: 64) ?? 4
            let minN = try s.int("ngram_min", min: 1, max: 64) ?? min(2, maxN)
            guard minN <= maxN else { throw f.fail("\(s.at).ngram_min must be at most ngram_max") }
            return SpeculationConfig(ngram: NgramDrafter(maxN: maxN, minN: minN, maxDraft: draftMax), adaptive: adaptive)
        case "draft":
            for k in ["ngram_max", "ngram_min"] where o[k] != nil {
                throw f.fail("\(s.at).\(k) is for type ngram")
            }
            let pMin = try s.double("p_min", min: 0, max: 1) ?? 0
            if outer != nil && inner != nil { throw f.fail("\(f.at): give draft_model once, beside speculative or in it") }
            guard capability == .chat else { throw f.fail("\(s.at) is for chat models") }
            guard let path = outer ?? inner else { throw f.fail("\(s.at).draft_model is required for type draft") }
            guard !path.isEmpty else { throw f.fail("\(s.at).draft_model must not be empty") }
            return SpeculationConfig(draftModel: DraftModelOptions(path: path, maxDraft: draftMax, minProbability: Float(pMin)),
                                     adaptive: adaptive)
        default:
            throw f.fail("\(s.at).type \"\(type)\" is unknown (use ngram or draft)")
        }
    }

    /// A path from the config: absolute as written, else relative to the
    /// config file's folder `base`.
    static func path(_ raw: String, from base: URL) -> String {
        raw.hasPrefix("/") ? raw : base.appendingPathComponent(raw).standardizedFileURL.path
    }

    /// A draft model names another configured model by id (its file is
    /// used) or a GGUF path, relative to the config file's folder.
    private static func resolveDraftModels(_ models: inout [ModelEntry], base: URL) {
        let paths = Dictionary(models.map { ($0.id, $0.path) }, uniquingKeysWith: { a, _ in a })
        for i in models.indices {
            guard let raw = models[i].speculation.draftModel?.path else { continue }
            models[i].speculation.draftModel?.path = paths[raw]
                ?? path(raw, from: base)
        }
    }

    private static func readDefaults(_ f: Fields) throws(ConfigError) -> GenerationDefaults {
        var d = GenerationDefaults()
        d.temperature = try f.double("temperature", min: 0, max: 2).map(Float.init)
        d.topP = try f.double("top_p", min: 0, max: 1).map(Float.init)
        d.topK = try f.int("top_k", min: 0)
        d.minP = try f.double("min_p", min: 0, max: 1).map(Float.init)
        d.repetitionPenalty = try f.double("repeat_penalty", min: 0, max: 10).map(Float.init)
        d.stop = try f.strings("stop")
        d.maxTokens = try f.int("max_tokens", min: 1)
        return d
    }

    /// Typed field access that names the field in its errors.
    struct Fields {
        let object: JSONObject
        let at: String
        let fail: (String) -> ConfigError

        func string(_ k: String, required: Bool = false) throws(ConfigError) -> String? {
            guard let v = object[k], !v.isNull else {
                if required { throw fail("\(at).\(k) is required") }
                return nil
            }
            guard let s = v.string else { throw fail("\(at).\(k) must be a string") }
            return s
        }

        func int(_ k: String, min lo: Int? = nil, max hi: Int? = nil) throws(ConfigError) -> Int? {
            guard let v = object[k], !v.isNull else { return nil }
            guard let i = v.int else {
                throw fail("\(at).\(k) must be an integer")
            }
            if let lo, i < lo { throw fail("\(at).\(k) must be at least \(lo)") }
            if let hi, i > hi { throw fail("\(at).\(k) must be at most \(hi)") }
            return i
        }

        func double(_ k: String, min lo: Double? = nil, max hi: Double? = nil) throws(ConfigError) -> Double? {
            guard let v = object[k], !v.isNull else { return nil }
            guard let d = v.double else { throw fail("\(at).\(k) must be a number") }
            if let lo, d < lo { throw fail("\(at).\(k) must be at least \(lo)") }
            if let hi, d > hi { throw fail("\(at).\(k) must be at most \(hi)") }
            return d
        }

        func strings(_ k: String) throws(ConfigError) -> [String]? {
            guard let v = object[k], !v.isNull else { return nil }
            if let s = v.string { return [s] }
            guard let a = v.array else { throw fail("\(at).\(k) must be a string or a list of strings") }
            var list: [String] = []
            for item in a {
                guard let s = item.string else { throw fail("\(at).\(k) must be a string or a list of strings") }
                list.append(s)
            }
            return list
        }

        func cacheType(_ k: String) throws(ConfigError) -> KVCacheType? {
            guard let name = try string(k) else { return nil }
            guard let t = KVCacheType(rawValue: name.lowercased()) else {
                throw fail("\(at).\(k) \"\(name)\" is unknown (use \(KVCacheType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return t
        }

        func bool(_ k: String) throws(ConfigError) -> Bool? {
            guard let v = object[k], !v.isNull else { return nil }
            guard let b = v.bool else { throw fail("\(at).\(k) must be true or false") }
            return b
        }
    }
}
