import Foundation

// The config fields for growing past one process: a model's layers on
// llama.cpp rpc-servers (`rpc_servers`, `tensor_split`), a model in a child
// process of its own (`isolated`, or on another llama.cpp build:
// `llama_build`), and what a gateway in front of several
// workers needs (`worker_id`, the drain and the child restart policy).
extension ServerConfig {
    /// ggml-rpc's GGML_RPC_MAX_SERVERS and llama.cpp's llama_max_devices().
    public static let maxRPCServers = 16
    public static let maxTensorSplit = 16

    static func readScaleOut(_ f: Fields, into e: inout ModelEntry) throws(ConfigError) {
        if let raw = f.object["rpc_servers"], !raw.isNull {
            guard let list = raw.array else { throw f.fail("\(f.at).rpc_servers must be a list of \"host:port\" strings") }
            guard list.count <= maxRPCServers else { throw f.fail("\(f.at).rpc_servers lists \(list.count) servers; at most \(maxRPCServers)") }
            for (i, item) in list.enumerated() {
                guard let s = item.string, let ep = RPCEndpoint.parse(s) else {
                    throw f.fail("\(f.at).rpc_servers[\(i)] must be \"host:port\" with a port from 1 to 65535, not \(item.serialized)")
                }
                guard !e.rpcServers.contains(ep) else { throw f.fail("\(f.at).rpc_servers[\(i)] \"\(s)\" appears twice") }
                e.rpcServers.append(ep)
            }
        }
        if let raw = f.object["tensor_split"], !raw.isNull {
            guard let list = raw.array, !list.isEmpty, list.count <= maxTensorSplit else {
                throw f.fail("\(f.at).tensor_split must be a list of 1 to \(maxTensorSplit) numbers (one per device)")
            }
            var split: [Float] = []
            for (i, item) in list.enumerated() {
                guard item.bool == nil, let v = item.double, v.isFinite, v >= 0, v <= 1e6 else {
                    throw f.fail("\(f.at).tensor_split[\(i)] must be a number from 0 to 1000000, not \(item.serialized)")
                }
                split.append(Float(v))
            }
            guard split.contains(where: { $0 > 0 }) else { throw f.fail("\(f.at).tensor_split must not be all zeros") }
            e.tensorSplit = split
        }
        e.isolated = try f.bool("isolated") ?? false
    }

    /// `llama_build`: "portable", "native", "openblas" or a library folder.
    static func readLlamaBuild(_ f: Fields, into e: inout ModelEntry, configFolder: URL) throws(ConfigError) {
        guard let value = try f.string("llama_build") else { return }
        guard !value.isEmpty else { throw f.fail("\(f.at).llama_build must not be empty") }
        let build = LlamaBuilds.builds[value] != nil ? value : path(value, from: configFolder)
        switch LlamaBuilds.resolve(build, current: LlamaBuilds.currentLibraryDirectory) {
        case .success(let folder): e.llamaLibraries = folder
        case .failure(let why): throw f.fail("\(f.at).llama_build: \(why.message)")
        }
    }

    mutating func readScaleOut(_ s: Fields) throws(ConfigError) {
        if let id = try s.string("worker_id") {
            guard WorkerIDText.isValid(id) else {
                throw s.fail("server.worker_id must be 1 to 128 letters, digits or . _ : -, not \(JSON.quoted(id))")
            }
            workerID = id
        }
        drainSeconds = try s.double("drain_seconds") ?? 10
        drainNoticeSeconds = try s.double("drain_notice_seconds") ?? 0
        childRetryLimit = try s.int("child_retry_limit", min: 0) ?? 10
        childRetrySeconds = try s.double("child_retry_seconds") ?? 2
        childStartSeconds = try s.double("child_start_seconds") ?? 600
    }

    /// `--rpc HOST:PORT,...` puts every chat model without rpc_servers of
    /// its own on those servers (llama-server's `--rpc`, for a config of one
    /// model); `--rpc MODEL=HOST:PORT,...` sets one model's.
    public mutating func applyRPCFlag(_ spec: String) throws(ConfigError) {
        func fail(_ m: String) -> ConfigError { ConfigError(file: source, message: "--rpc: \(m)") }
        var target: String?
        var list = spec
        if let eq = spec.firstIndex(of: "=") {
            target = String(spec[..<eq])
            list = String(spec[spec.index(after: eq)...])
        }
        let endpoints: [RPCEndpoint]
        switch RPCEndpoint.parseList(list) {
        case .success(let e): endpoints = e
        case .failure(let bad): throw fail("\"\(bad.text)\" is not host:port with a port from 1 to 65535")
        }
        guard endpoints.count <= Self.maxRPCServers else { throw fail("at most \(Self.maxRPCServers) servers") }
        guard Set(endpoints).count == endpoints.count else { throw fail("a server appears twice in \(list)") }
        if let target {
            guard let i = models.firstIndex(where: { $0.id == target }) else {
                throw fail("no model \"\(target)\" in the config (models: \(models.map(\.id).joined(separator: ", ")))")
            }
            models[i].rpcServers = endpoints
        } else {
            let chat = models.indices.filter { models[$0].capability == .chat && models[$0].rpcServers.isEmpty }
            guard !chat.isEmpty else { throw fail("no chat model without rpc_servers to apply it to; use --rpc MODEL=HOST:PORT,...") }
            for i in chat { models[i].rpcServers = endpoints }
        }
    }

    /// The config a child process serving only `id` runs with: that model
    /// alone, loaded in process (rpc_servers included), no keys of its own
    /// (the parent hands it one through the environment), no rate limits
    /// (the parent applied them) and no keys file (the parent owns it).
    public func forChild(serving id: String) throws(ConfigError) -> ServerConfig {
        guard var m = model(id) else { throw ConfigError(file: source, message: "--child-model \(id): no such model") }
        m.preload = true
        m.isolated = false
        m.llamaLibraries = nil  // the child was started on that build
        var c = self
        c.models = [m]
        c.apiKeys = []
        c.apiKeysFile = nil
        c.requestsPerMinute = 0
        c.tokensPerMinute = 0
        c.memoryBudgetBytes = 0
        c.defaultModel = defaultModel == id ? id : nil
        c.loadsChildModelsInProcess = true
        c.drainNoticeSeconds = 0  // the parent already drained; no probe watches a child
        return c
    }
}

/// What an `X-Worker-Id` may be: a header-safe token a gateway can log.
public enum WorkerIDText {
    public static func isValid(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 128
            && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._:-".unicodeScalars.contains($0)) }
    }
}
