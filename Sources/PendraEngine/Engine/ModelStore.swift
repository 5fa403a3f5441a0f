import Foundation

public enum ModelStoreError: Error, Sendable, CustomStringConvertible {
    /// The id is not in the config (HTTP 400 model_not_found; lists the valid ids).
    case unknownModel(String, valid: [String])
    /// The model exists but serves another capability.
    case wrongCapability(id: String, has: Capability, wanted: Capability)
    case notLoaded(String)
    case loadFailed(id: String, reason: String)
    /// The load passed `load_timeout_seconds` and was abandoned (HTTP 504).
    case loadTimedOut(id: String, seconds: Double)
    /// Not enough of the memory budget even after unloading what may be unloaded.
    case noMemory(id: String, needed: UInt64, budget: UInt64, inUse: UInt64)

    public var description: String {
        switch self {
        case .unknownModel(let id, let valid):
            "The model '\(id)' does not exist. Valid models: \(valid.joined(separator: ", "))"
        case .wrongCapability(let id, let has, let wanted):
            "The model '\(id)' is a \(has.rawValue) model and cannot serve \(wanted.rawValue) requests"
        case .notLoaded(let id): "The model '\(id)' is not loaded"
        case .loadFailed(let id, let reason): "The model '\(id)' could not be loaded: \(reason)"
        case .loadTimedOut(let id, let seconds):
            "Loading the model '\(id)' took longer than \(seconds) s (load_timeout_seconds) and was abandoned"
        case .noMemory(let id, let needed, let budget, let inUse):
            "The model '\(id)' needs about \(needed >> 20) MiB (weights, KV cache and compute buffers) but only \((budget - min(budget, inUse)) >> 20) MiB of the \(budget >> 20) MiB memory budget is free, and the other loaded models are preloaded or busy"
        }
    }
}

/// Every configured model: its GGUF facts (read at startup, weights untouched)
/// and, when loaded, its engine. Loads on demand within a memory budget and
/// unloads the least recently used idle on-demand models to make room or
/// after their keep-alive time.
public final class ModelStore: @unchecked Sendable {
    public enum Engine: Sendable {
        case chat(ChatEngine)
        case embedding(EmbeddingEngine)

        var isIdle: Bool {
            switch self {
            case .chat(let e): let s = e.snapshot; return s.running == 0 && s.waiting == 0
            case .embedding: return true
            }
        }
    }

    private struct Loaded {
        var engine: Engine
        /// What llama.cpp reported allocating for it (weights, cache, compute).
        var memory: LlamaBufferSizes
        var lastUsed: Date
        /// Last time its engine was handed to a caller, who may not have
        /// submitted yet: such a model is not idle.
        var handedOut: Date
        /// Hand-outs so far (the load counts as one): a caller that knows
        /// the number of its own hand-out can tell whether anyone got the
        /// engine after it (unloadIfIdle).
        var handOuts: UInt64 = 1
        var preloaded: Bool
        var bytes: UInt64 { memory.total }

        /// May be unloaded to make room: not preloaded, nothing running or
        /// waiting, and not just handed to a request that has yet to submit.
        func isEvictable(now: Date) -> Bool {
            !preloaded && engine.isIdle && now.timeIntervalSince(handedOut) > ModelStore.handOffGrace
        }
    }

    /// Seconds from handing out an engine until its request is surely
    /// submitted (rendering and tokenizing a large prompt takes milliseconds).
    static let handOffGrace: TimeInterval = 10

    public let config: ServerConfig
    /// GGUF header facts per model id (nil when the file could not be read).
    public let info: [String: GGUFFile]
    /// Headers of the draft models, by the id of the model they draft for.
    let draftInfo: [String: GGUFFile]
    private let lock = NSLock()
    private var loaded: [String: Loaded] = [:]
    /// Loads run here, one at a time, never on Swift's cooperative pool.
    private let loadQueue = DispatchQueue(label: "pendra.model-load")
    private var reaper: DispatchSourceTimer?
    private var loadHooks: [String: @Sendable (Engine) -> Void] = [:]

    /// Runs `hook` with the model's engine now if loaded, and after every later load.
    public func onLoad(_ id: String, _ hook: @escaping @Sendable (Engine) -> Void) {
        let engine = lock.withLock { () -> Engine? in
            loadHooks[id] = hook
            return loaded[id]?.engine
        }
        if let engine { hook(engine) }
    }

    public init(config: ServerConfig) {
        self.config = config
        var info: [String: GGUFFile] = [:]
        var drafts: [String: GGUFFile] = [:]
        for m in config.models {
            info[m.id] = try? GGUFFile.read(path: m.path)
            if let d = m.speculation.draftModel { drafts[m.id] = try? GGUFFile.read(path: d.path) }
        }
        self.info = info
        self.draftInfo = drafts
    }

    public var ids: [String] { config.models.map(\.id) }
    public var loadedIDs: [String] { lock.withLock { config.models.map(\.id).filter { loaded[$0] != nil } } }
    public func isLoaded(_ id: String) -> Bool { lock.withLock { loaded[id] != nil } }
    public func engineIfLoaded(_ id: String) -> Engine? { lock.withLock { loaded[id]?.engine } }

    /// Loads every model marked `preload`, synchronously (at startup), on the
    /// load queue: the server already answers /health meanwhile, and a
    /// request for a model being loaded waits for that load, not a second one.
    public func preload() throws(ModelStoreError) {
        for m in config.models where m.preload && !servedByChild(m) {
            let result = loadQueue.sync { Result { () throws(ModelStoreError) in try self.loadNow(m) } }
            _ = try result.get()
        }
        startReaper()
    }

    /// A model another process serves (PendraHTTP's `ChildModels`): never
    /// loaded here, so an rpc-server that dies cannot abort this process.
    public func servedByChild(_ m: ModelEntry) -> Bool { m.runsInChild && !config.loadsChildModelsInProcess }

    /// The engine for a model, loading it first if needed.
    public func engine(for id: String, capability: Capability) async throws(ModelStoreError) -> Engine {
        try await handOut(id, capability: capability).engine
    }

    /// The engine and the number of this hand-out (see unloadIfIdle).
    private func handOut(_ id: String, capability: Capability) async throws(ModelStoreError) -> (engine: Engine, number: UInt64) {
        guard let entry = config.model(id) else { throw .unknownModel(id, valid: ids) }
        guard entry.capability == capability else {
            throw .wrongCapability(id: id, has: entry.capability, wanted: capability)
        }
        if let e = touch(id) { return e }
        let result: Result<(engine: Engine, number: UInt64), ModelStoreError> = await withCheckedContinuation { c in
            loadQueue.async {
                c.resume(returning: Result { () throws(ModelStoreError) in try self.loadNow(entry) })
            }
        }
        return try result.get()
    }

    public func chat(_ id: String) async throws(ModelStoreError) -> ChatEngine {
        try await chatHandOut(id).engine
    }

    /// A chat engine and the number of this hand-out, for a caller that may
    /// unload the model after its reply (unloadIfIdle).
    public func chatHandOut(_ id: String) async throws(ModelStoreError) -> (engine: ChatEngine, number: UInt64) {
        let h = try await handOut(id, capability: .chat)
        guard case .chat(let e) = h.engine else { throw .notLoaded(id) }
        return (e, h.number)
    }

    public func embedding(_ id: String) async throws(ModelStoreError) -> EmbeddingEngine {
        guard case .embedding(let e) = try await engine(for: id, capability: .embedding) else { throw .notLoaded(id) }
        return e
    }

    /// A reranker runs on the embedding engine (rank pooling gives scores).
    public func reranker(_ id: String) async throws(ModelStoreError) -> EmbeddingEngine {
        guard case .embedding(let e) = try await engine(for: id, capability: .rerank) else { throw .notLoaded(id) }
        return e
    }

    /// A loaded model as /api/ps lists it.
    public struct LoadedModel: Sendable {
        public var id: String
        public var bytes: UInt64
        public var lastUsed: Date
        public var engine: Engine
    }

    /// The loaded models, in config order.
    public var loadedModels: [LoadedModel] {
        lock.withLock {
            config.models.compactMap { m in
                loaded[m.id].map { LoadedModel(id: m.id, bytes: $0.bytes, lastUsed: $0.lastUsed, engine: $0.engine) }
            }
        }
    }

    /// Unloads a model unless a generation is running or waiting on it, or
    /// anyone got its engine after the caller's own hand-out number
    /// `lastHandOut` (they may not have submitted yet). Ollama's
    /// `keep_alive: 0`: unload after this reply, never cut another
    /// client's. True when it was unloaded.
    @discardableResult
    public func unloadIfIdle(_ id: String, lastHandOut: UInt64) -> Bool {
        let removed = lock.withLock { () -> Loaded? in
            guard let l = loaded[id], l.engine.isIdle, l.handOuts == lastHandOut else { return nil }
            return loaded.removeValue(forKey: id)
        }
        guard let removed else { return false }
        if case .chat(let e) = removed.engine { e.shutdown() }
        return true
    }

    /// Owner route: load now (no-op if loaded).
    public func load(_ id: String) async throws(ModelStoreError) {
        guard let entry = config.model(id) else { throw .unknownModel(id, valid: ids) }
        _ = try await engine(for: id, capability: entry.capability)
    }

    /// Owner route: unload now. In-flight generations are cancelled.
    @discardableResult
    public func unload(_ id: String) throws(ModelStoreError) -> Bool {
        guard config.model(id) != nil else { throw .unknownModel(id, valid: ids) }
        let removed = lock.withLock { loaded.removeValue(forKey: id) }
        guard let removed else { return false }
        if case .chat(let e) = removed.engine { e.shutdown() }
        return true
    }

    public func shutdown() {
        reaper?.cancel()
        let all = lock.withLock { () -> [Loaded] in defer { loaded.removeAll() }; return Array(loaded.values) }
        for l in all { if case .chat(let e) = l.engine { e.shutdown() } }
    }

    private func touch(_ id: String) -> (engine: Engine, number: UInt64)? {
        lock.withLock {
            guard var l = loaded[id] else { return nil }
            let now = Date()
            l.lastUsed = now
            l.handedOut = now
            l.handOuts += 1
            loaded[id] = l
            return (l.engine, l.handOuts)
        }
    }

    /// Memory a model will take before it is loaded: weights from the file
    /// and the KV cache from its header, the draft model's the same way
    /// (its context has the target's cells and a full sliding window, see
    /// DraftModelDrafter); compute buffers are only known after the load.
    public func estimatedBytes(_ m: ModelEntry) -> UInt64 {
        guard let f = info[m.id] else { return 0 }
        guard m.capability == .chat else { return f.fileSize }
        let cells = contextSize(m)
        let kv = f.kvCacheEstimate(context: cells, parallel: m.parallel, typeK: m.cacheTypeK,
                                   typeV: m.cacheTypeV, swaFull: m.swaFull)?.total ?? 0
        // (A recurrent target loads no draft; its estimate errs high.)
        let draft = draftInfo[m.id].map { d in
            d.fileSize + (d.kvCacheEstimate(context: cells, parallel: m.parallel, typeK: m.cacheTypeK,
                                            typeV: m.cacheTypeV, swaFull: true)?.total ?? 0)
        } ?? 0
        return f.fileSize + kv + draft
    }

    /// KV cells (chat) or tokens per input (embedding) the model is served with.
    public func contextSize(_ m: ModelEntry) -> Int {
        Self.contextSize(configured: m.contextSize, trained: info[m.id]?.contextLength ?? 0)
    }

    /// The one rule, for the estimate before a load and the load itself: the
    /// configured size, else the trained context (4096 when unknown), at most 8192.
    static func contextSize(configured: Int?, trained: Int) -> Int {
        configured ?? min(trained > 0 ? trained : 4096, 8192)
    }

    /// What llama.cpp reported allocating for a loaded model.
    public func memory(_ id: String) -> LlamaBufferSizes? { lock.withLock { loaded[id]?.memory } }

    /// Runs on the load queue (or at startup): loads one model, first
    /// unloading idle ones if the budget demands it.
    private func loadNow(_ m: ModelEntry) throws(ModelStoreError) -> (engine: Engine, number: UInt64) {
        if let e = touch(m.id) { return e }
        if servedByChild(m) { throw .loadFailed(id: m.id, reason: "it is served by a child process") }
        try makeRoom(for: m.id, bytes: estimatedBytes(m))
        let engine: Engine
        let measured: LlamaBufferSizes
        do {
            (engine, measured) = try LlamaBackend.measuringBuffers { () throws -> Engine in try self.makeEngine(m) }
        } catch ModelLoadError.timedOut {
            throw .loadTimedOut(id: m.id, seconds: config.loadTimeoutSeconds)
        } catch {
            throw .loadFailed(id: m.id, reason: "\(error)")
        }
        let (hook, number) = lock.withLock { () -> ((@Sendable (Engine) -> Void)?, UInt64) in
            let now = Date()
            let l = Loaded(engine: engine, memory: measured, lastUsed: now, handedOut: now, preloaded: m.preload)
            loaded[m.id] = l
            return (loadHooks[m.id], l.handOuts)
        }
        hook?(engine)
        return (engine, number)
    }

    private func makeEngine(_ m: ModelEntry) throws -> Engine {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(config.loadTimeoutSeconds * 1e9)
        let model = try LlamaModel(path: m.path, gpuLayers: m.gpuLayers, deadline: deadline, tensorSplit: m.tensorSplit)
        let trained = model.trainContextLength > 0 ? model.trainContextLength : 4096
        let context = Self.contextSize(configured: m.contextSize, trained: model.trainContextLength)
        let threads = m.threads ?? ProcessInfo.processInfo.activeProcessorCount
        switch m.capability {
        case .chat:
            let template = try m.chatTemplatePath.map { path -> String in
                guard let t = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                    throw ModelLoadError.unreadable(path: path, reason: "cannot read the chat template file")
                }
                return t
            }
            let onCPU = m.gpuLayers == 0 || !LlamaBackend.hasGPUDevice
            var s = ContextSettings(contextSize: context, parallel: m.parallel,
                                    batchSize: min(m.batchSize, context), microBatchSize: 512, threads: threads,
                                    flashAttention: FlashAttentionChoice.resolve(configured: m.flashAttention, parallel: m.parallel,
                                                                                 onCPU: onCPU, cacheTypeV: m.cacheTypeV))
            s.swaFull = m.swaFull
            s.attentionOnCPU = onCPU
            s.cacheTypeK = m.cacheTypeK
            s.cacheTypeV = m.cacheTypeV
            // Loaded with the target, on the same devices; freed with its engine.
            // Recurrent targets never speculate, so they load none.
            var draft: LlamaModel?
            if let d = m.speculation.draftModel, model.memoryKind != .recurrent {
                draft = try LlamaModel(path: d.path, gpuLayers: m.gpuLayers, deadline: deadline, tensorSplit: m.tensorSplit)
            }
            return .chat(try ChatEngine(model: model, settings: s, maxWaiting: config.maxWaiting,
                                        prefixCacheCells: m.prefixCacheCells, prefixReuse: m.prefixCache,
                                        defaults: m.defaults, chatTemplate: template,
                                        targetStepSeconds: m.targetITLMilliseconds / 1000,
                                        speculation: m.speculation, draftModel: draft,
                                        hostCacheBytes: m.prefixCacheRAMMB << 20))
        case .embedding, .rerank:
            let size = min(context, trained)
            let s = ContextSettings(contextSize: max(size, min(m.batchSize, 8192)), parallel: m.parallel,
                                    batchSize: max(size, min(m.batchSize, 8192)), threads: threads, embeddings: true)
            let e = try EmbeddingEngine(model: model, settings: s)
            // Rank pooling gives scores, not vectors: each serves only its own routes.
            if m.capability == .rerank && !e.isReranker {
                throw ModelLoadError.invalid(path: m.path, reason: "capability rerank needs a reranker GGUF (pooling type rank)")
            }
            if m.capability == .embedding && e.isReranker {
                throw ModelLoadError.invalid(path: m.path, reason: "this GGUF is a reranker (pooling type rank); configure it with capability rerank")
            }
            return .embedding(e)
        }
    }

    private func makeRoom(for id: String, bytes: UInt64) throws(ModelStoreError) {
        let budget = config.memoryBudgetBytes
        guard budget > 0 else { return }
        while true {
            let (used, victim) = lock.withLock { () -> (UInt64, String?) in
                let used = loaded.values.reduce(0) { $0 + $1.bytes }
                let now = Date()
                let v = loaded.filter { $0.value.isEvictable(now: now) }.min { $0.value.lastUsed < $1.value.lastUsed }?.key
                return (used, v)
            }
            if used + bytes <= budget { return }
            guard let victim else { throw .noMemory(id: id, needed: bytes, budget: budget, inUse: used) }
            _ = try? unload(victim)
        }
    }

    /// Unloads on-demand models idle past the keep-alive time.
    private func startReaper() {
        let keep = config.keepAliveSeconds
        guard keep > 0 else { return }
        let onDemand = Set(config.models.filter { !$0.preload }.map(\.id))
        guard !onDemand.isEmpty else { return }
        let t = DispatchSource.makeTimerSource(queue: loadQueue)
        t.schedule(deadline: .now() + 5, repeating: 5)
        t.setEventHandler { [weak self] in
            guard let self else { return }
            let now = Date()
            let expired = self.lock.withLock {
                self.loaded.filter { onDemand.contains($0.key) && $0.value.isEvictable(now: now) && now.timeIntervalSince($0.value.lastUsed) > keep }.map(\.key)
            }
            for id in expired { _ = try? self.unload(id) }
        }
        t.resume()
        reaper = t
    }
}
