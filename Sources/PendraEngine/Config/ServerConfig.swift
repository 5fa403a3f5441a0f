import Foundation

public enum Capability: String, Sendable, CaseIterable {
    /// `rerank`: a cross-encoder (pooling type rank) that scores query/document pairs.
    case chat, embedding, rerank
}

/// One model the server may serve, from the config file.
public struct ModelEntry: Sendable, Equatable {
    /// Ollama-style `name:tag`, the id clients send as `model`.
    public var id: String
    /// Absolute path of the GGUF file.
    public var path: String
    public var capability: Capability
    /// KV cells (chat) or tokens per input (embedding); nil: the model's trained context, at most 8192.
    public var contextSize: Int?
    /// Sequences decoded together (chat) or inputs per batch (embedding).
    public var parallel: Int
    /// Tokens per llama_decode: the scheduler's budget.
    public var batchSize: Int
    /// Layers on the GPU; -1 all of them when a GPU backend exists.
    public var gpuLayers: Int
    public var threads: Int?
    /// Cells finished sequences may keep as cached prefixes; nil: a quarter of the context.
    public var prefixCacheCells: Int?
    public var displayName: String?
    public var licence: String?
    /// Load at startup (true) or on first use (false).
    public var preload: Bool
    /// False: no prefix reuse at all (every prompt prefilled in full).
    public var prefixCache: Bool = true
    /// MiB of host RAM for cached prefixes evicted from the KV cells (saved
    /// llama.cpp sequence states, restored on a hit); 0 = off.
    public var prefixCacheRAMMB: Int = ModelEntry.defaultPrefixCacheRAMMB
    /// KV cache element types.
    public var cacheTypeK: KVCacheType = .f16
    public var cacheTypeV: KVCacheType = .f16
    /// Full-size sliding-window cache (llama.cpp's swa_full); off by default.
    public var swaFull: Bool = false
    /// nil: llama.cpp decides (on where it helps); forced on for a quantized V cache.
    public var flashAttention: Bool?
    /// A Jinja chat template file used instead of the GGUF's own (absolute
    /// path; for files without one, such as base models).
    public var chatTemplatePath: String?
    /// Sampling values and max_tokens used when a request does not send them.
    public var defaults = GenerationDefaults()
    /// While streams decode, each step's prefill share is sized to keep
    /// their inter-token latency near this (PrefillPacer); 0: no pacing.
    public var targetITLMilliseconds: Double = 400
    /// Draft tokens for decodes (config `speculative`); off by default.
    public var speculation: SpeculationConfig = .off
    /// llama.cpp rpc-servers holding some of its layers (ServerConfig+ScaleOut).
    public var rpcServers: [RPCEndpoint] = []
    /// Share of the layers per device, in llama.cpp's order: the rpc-servers, then local GPUs.
    public var tensorSplit: [Float]?
    /// Served by a child process of its own, so a crash there is not the server's.
    public var isolated = false
    /// Another CPU build's library folder (config `llama_build`, LlamaBuilds):
    /// a child process started with it serves the model.
    public var llamaLibraries: String?

    /// Served by a child process: always so with rpc-servers, because ggml's
    /// RPC client aborts the process when a server is unreachable or dies,
    /// and on another llama.cpp build, because one process maps one.
    public var runsInChild: Bool { isolated || !rpcServers.isEmpty || llamaLibraries != nil }
}

/// An API key from the config file.
public struct KeyEntry: Sendable, Equatable {
    public var key: String
    public var role: String
    public var organisation: String
    public var name: String?
}

/// The whole config file (JSON). See models.example.
public struct ServerConfig: Sendable {
    public var models: [ModelEntry]
    public var workerName: String
    public var apiKeys: [KeyEntry]
    /// Where keys made through the key admin API are kept (SHA-256 digests);
    /// nil: they last until the process ends.
    public var apiKeysFile: String? = nil
    /// Model served for ids clients ask for but the config lacks, e.g.
    /// Claude Code's `claude-*` ids; nil: such requests get a clear error.
    public var defaultModel: String?
    /// Requests and tokens per minute per organisation; 0 = unlimited.
    public var requestsPerMinute: Int
    public var tokensPerMinute: Int
    /// Bytes of model weights allowed in memory at once (on-demand loading); 0 = unlimited.
    public var memoryBudgetBytes: UInt64
    /// Seconds an idle on-demand model stays loaded.
    public var keepAliveSeconds: Double
    public var maxWaiting: Int
    public var chatTimeoutSeconds: Double
    public var embeddingTimeoutSeconds: Double
    /// Seconds one model load may take; past it the load is abandoned
    /// (llama.cpp's progress callback stops reading the weights).
    public var loadTimeoutSeconds: Double = 600
    /// HTTP limits: request body bytes (413), header bytes (431), seconds to
    /// receive the headers, idle keep-alive seconds, open connections (503).
    public var maxBodyBytes: Int
    public var maxHeaderBytes: Int
    public var headerTimeoutSeconds: Double
    public var idleTimeoutSeconds: Double
    public var maxConnections: Int
    /// The file it came from.
    public var source: String
    /// Browser and buffering defences (ServerConfig+Security.swift).
    public var security = SecurityConfig()
    /// The web page (chat and dashboard) at `/`; `--no-webui` turns it off too.
    public var webUI = true
    /// `X-Worker-Id`; nil: derived from the host name and port.
    public var workerID: String?
    /// SIGTERM: seconds /health answers 503 before the listener closes (so a
    /// load balancer's probe sees it), then seconds running requests get to finish.
    public var drainNoticeSeconds: Double = 0
    public var drainSeconds: Double = 10
    /// Child-process models: restarts tried after a failure (then it stays
    /// unavailable until an owner loads it), the first wait between them
    /// (doubling, at most 60 s), and how long a child may take to load.
    public var childRetryLimit = 10
    public var childRetrySeconds: Double = 2
    public var childStartSeconds: Double = 600
    /// True only in a child process: its model is loaded here, rpc-servers and all.
    public var loadsChildModelsInProcess = false

    public func model(_ id: String) -> ModelEntry? { models.first { $0.id == id } }
}

/// A config problem, said in one line that names the file and the field.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    public var description: String { "config \(file): \(message)" }
}

extension ModelEntry {
    /// 4 GiB: five 6,000-token conversations of an 8B model with an f16
    /// cache (128 KiB a token), dozens on small models; half of
    /// llama-server's `--cache-ram` default, as laptops share RAM with the
    /// weights. The pool fills only with prefixes pushed out of the KV
    /// cells, and only up to this.
    public static let defaultPrefixCacheRAMMB = 4096
}
