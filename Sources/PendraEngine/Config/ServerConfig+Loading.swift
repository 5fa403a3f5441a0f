import Foundation

extension ServerConfig {
    /// Reads and checks a config file. Paths of models are relative to the
    /// file's folder. Every problem is a `ConfigError` naming the field.
    public static func load(path: String) throws(ConfigError) -> ServerConfig {
        func fail(_ m: String) -> ConfigError { ConfigError(file: path, message: m) }
        guard FileManager.default.fileExists(atPath: path) else { throw fail("file not found") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw fail("invalid JSON: \(Self.jsonErrorText(error))")
        }
        guard let root = json as? [String: Any] else { throw fail("top level must be a JSON object") }
        try ConfigRanges.check(root, file: path)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()

        guard let list = root["models"] as? [Any] else { throw fail("\"models\" must be an array") }
        var models: [ModelEntry] = []
        for (i, item) in list.enumerated() {
            let at = "models[\(i)]"
            guard let m = item as? [String: Any] else { throw fail("\(at) must be an object") }
            let f = Fields(object: m, at: at, fail: fail)
            let id = try f.string("id", required: true)!
            guard !id.isEmpty, !id.contains(where: { $0.isWhitespace }) else { throw fail("\(at).id must be a non-empty name without spaces") }
            guard !models.contains(where: { $0.id == id }) else { throw fail("\(at).id \"\(id)\" appears twice") }
            let rawPath = try f.string("path", required: true)!
            let full = rawPath.hasPrefix("/") ? rawPath : base.appendingPathComponent(rawPath).standardizedFileURL.path
            let capName = try f.string("capability") ?? "chat"
            guard let cap = Capability(rawValue: capName) else {
                throw fail("\(at).capability \"\(capName)\" is unknown (use chat or embedding)")
            }
            let licence = try f.string("licence")
            let license = try f.string("license")
            let entry = ModelEntry(
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
            models.append(entry)
        }

        let server = root["server"] as? [String: Any] ?? [:]
        if root["server"] != nil && !(root["server"] is [String: Any]) { throw fail("\"server\" must be an object") }
        let s = Fields(object: server, at: "server", fail: fail)
        var keys: [KeyEntry] = []
        if let rawKeys = server["api_keys"] {
            guard let arr = rawKeys as? [Any] else { throw fail("server.api_keys must be an array") }
            for (i, k) in arr.enumerated() {
                let at = "server.api_keys[\(i)]"
                guard let o = k as? [String: Any] else { throw fail("\(at) must be an object") }
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
        let keysFile = try s.string("api_keys_file").map {
            $0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).standardizedFileURL.path
        }
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
        config.security = try SecurityConfig.load(server: server, file: path)
        return config
    }

    private static func jsonErrorText(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }

    /// Typed field access that names the field in its errors.
    private struct Fields {
        let object: [String: Any]
        let at: String
        let fail: (String) -> ConfigError

        func string(_ k: String, required: Bool = false) throws(ConfigError) -> String? {
            guard let v = object[k], !(v is NSNull) else {
                if required { throw fail("\(at).\(k) is required") }
                return nil
            }
            guard let s = v as? String else { throw fail("\(at).\(k) must be a string") }
            return s
        }

        func int(_ k: String, min lo: Int? = nil, max hi: Int? = nil) throws(ConfigError) -> Int? {
            guard let v = object[k], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, !JSON.isBoolean(n), let i = Int(exactly: n.doubleValue) else {
                throw fail("\(at).\(k) must be an integer")
            }
            if let lo, i < lo { throw fail("\(at).\(k) must be at least \(lo)") }
            if let hi, i > hi { throw fail("\(at).\(k) must be at most \(hi)") }
            return i
        }

        func double(_ k: String) throws(ConfigError) -> Double? {
            guard let v = object[k], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, !JSON.isBoolean(n) else { throw fail("\(at).\(k) must be a number") }
            return n.doubleValue
        }

        func bool(_ k: String) throws(ConfigError) -> Bool? {
            guard let v = object[k], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, JSON.isBoolean(n) else { throw fail("\(at).\(k) must be true or false") }
            return n.boolValue
        }
    }
}
