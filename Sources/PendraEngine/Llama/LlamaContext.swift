import CLlama
import Foundation

/// Settings for one llama.cpp context.
public struct ContextSettings: Sendable, Equatable {
    /// KV cells shared by all sequences (unified cache).
    public var contextSize: Int
    /// Maximum sequences decoded together (llama.cpp seq ids 0..<parallel).
    public var parallel: Int
    /// Tokens per llama_decode call: the scheduler's token budget.
    public var batchSize: Int
    /// Tokens per physical micro-batch.
    public var microBatchSize: Int
    public var threads: Int
    public var batchThreads: Int
    public var embeddings: Bool
    public var flashAttention: Bool?
    /// Full-size cache for sliding-window layers. Off: those layers keep only
    /// their window (Gemma 3 at 32k context: about half the memory), and
    /// prefix reuse checks the window is still covered.
    public var swaFull: Bool = false
    /// KV cache element types (f16 default; q8_0 / q4_0 halve or quarter it).
    public var cacheTypeK: KVCacheType = .f16
    public var cacheTypeV: KVCacheType = .f16
    /// Attention runs on the CPU (no GPU device, or no layers on it).
    public var attentionOnCPU = false

    /// Query rows from which llama.cpp's CPU flash-attention kernel tiles
    /// (AttentionTile), 0 where that kernel does not run: flash attention
    /// off, a GPU, or a cache it does not tile (quantized, or K and V of
    /// different types).
    var attentionTile: Int {
        let tiled = cacheTypeK == cacheTypeV && (cacheTypeK == .f16 || cacheTypeK == .f32)
        return attentionOnCPU && flashAttention != false && tiled ? AttentionTile.rows : 0
    }

    public init(contextSize: Int, parallel: Int, batchSize: Int = 2048, microBatchSize: Int = 512,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                batchThreads: Int? = nil, embeddings: Bool = false, flashAttention: Bool? = nil) {
        self.contextSize = contextSize
        self.parallel = parallel
        self.batchSize = batchSize
        self.microBatchSize = min(microBatchSize, batchSize)
        self.threads = threads
        self.batchThreads = batchThreads ?? threads
        self.embeddings = embeddings
        self.flashAttention = flashAttention
    }
}

/// Owns one `llama_context`. Not thread-safe: exactly one thread (the
/// engine's) may use it after creation.
final class LlamaContext {
    let model: LlamaModel
    let pointer: OpaquePointer
    let memory: llama_memory_t?
    let settings: ContextSettings

    init(model: LlamaModel, settings: ContextSettings) throws {
        var p = llama_context_default_params()
        p.n_ctx = UInt32(settings.contextSize)
        p.n_batch = UInt32(settings.batchSize)
        p.n_ubatch = UInt32(settings.microBatchSize)
        p.n_seq_max = UInt32(settings.parallel)
        p.n_threads = Int32(settings.threads)
        p.n_threads_batch = Int32(settings.batchThreads)
        p.embeddings = settings.embeddings
        // One pool of cells for every sequence: what makes prefix sharing
        // with llama_memory_seq_cp possible and lets a long prompt use cells
        // that idle sequences do not need.
        p.kv_unified = true
        p.no_perf = true
        p.swa_full = settings.swaFull
        p.type_k = settings.cacheTypeK.ggmlType
        p.type_v = settings.cacheTypeV.ggmlType
        if let fa = settings.flashAttention {
            p.flash_attn_type = fa ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED
        } else if settings.cacheTypeV != .f16 {
            // llama.cpp quantizes the V cache only with flash attention.
            p.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_ENABLED
        }
        guard let ctx = llama_init_from_model(model.pointer, p) else {
            throw ModelLoadError.contextFailed(path: model.path,
                reason: "llama_init_from_model failed (context \(settings.contextSize), parallel \(settings.parallel)); see the log")
        }
        self.model = model
        self.pointer = ctx
        self.memory = llama_get_memory(ctx)
        self.settings = settings
    }

    deinit { llama_free(pointer) }

    var contextSize: Int { Int(llama_n_ctx(pointer)) }
    var poolingType: llama_pooling_type { llama_pooling_type(pointer) }

    func decode(_ batch: LlamaBatch) -> Int32 { llama_decode(pointer, batch.raw) }
    func encode(_ batch: LlamaBatch) -> Int32 { llama_encode(pointer, batch.raw) }

    func clearMemory() { if let memory { llama_memory_clear(memory, true) } }

    /// Removes positions [from, to) of a sequence; to < 0 means to the end.
    @discardableResult
    func removeTokens(seq: Int32, from: Int, to: Int = -1) -> Bool {
        guard let memory else { return false }
        return llama_memory_seq_rm(memory, seq, Int32(from), Int32(to))
    }

    /// Shares positions [0, count) of `source` with `destination` (no copy of
    /// data in a unified cache: the cells gain a second sequence id). False
    /// when the destination does not end up holding exactly those positions
    /// (llama_memory_seq_cp returns nothing, so the result is read back).
    func shareTokens(from source: Int32, to destination: Int32, count: Int) -> Bool {
        guard let memory else { return false }
        guard count > 0 else { return true }
        llama_memory_seq_cp(memory, source, destination, 0, Int32(count))
        return maxPosition(seq: destination) == count - 1
    }

    func maxPosition(seq: Int32) -> Int {
        guard let memory else { return -1 }
        return Int(llama_memory_seq_pos_max(memory, seq))
    }

    /// Oldest position the memory holds for a sequence (-1 when empty); with
    /// sliding-window layers, older cells may be gone.
    func minPosition(seq: Int32) -> Int {
        guard let memory else { return -1 }
        return Int(llama_memory_seq_pos_min(memory, seq))
    }

    /// What of a sequence's state `saveState` copies.
    enum StateScope {
        /// The recurrent (and sliding-window) memory, the part that cannot be
        /// cut back: recurrent checkpoints (PARTIAL_ONLY).
        case partial
        /// Everything: every layer's K/V cells with their positions and any
        /// recurrent state, for the host-RAM prefix cache (flags NONE).
        case full

        var flags: llama_state_seq_flags {
            llama_state_seq_flags(self == .partial ? LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY : LLAMA_STATE_SEQ_FLAGS_NONE)
        }
    }

    /// A sequence's state; nil when it is empty, larger than `maxBytes`, or
    /// was not written in full.
    func saveState(seq: Int32, _ scope: StateScope, maxBytes: Int = .max) -> [UInt8]? {
        let size = llama_state_seq_get_size_ext(pointer, seq, scope.flags)
        guard size > 0, size <= maxBytes else { return nil }
        var written = 0
        // Uninitialized: zero-filling a state of a hundred megabytes first
        // would double the cost of the save.
        let data = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            written = llama_state_seq_get_data_ext(pointer, buffer.baseAddress, size, seq, scope.flags)
            count = written == size ? size : 0
        }
        return written == size ? data : nil
    }

    /// Puts a `saveState` back into a sequence (for `.full`, llama.cpp first
    /// empties it and finds free cells for every saved one); false if it refused.
    func restoreState(seq: Int32, _ data: [UInt8], _ scope: StateScope) -> Bool {
        let read = data.withUnsafeBufferPointer {
            llama_state_seq_set_data_ext(pointer, $0.baseAddress, data.count, seq, scope.flags)
        }
        return read == data.count
    }

    func logits(at index: Int32) -> UnsafeMutablePointer<Float>? { llama_get_logits_ith(pointer, index) }
    func sequenceEmbedding(_ seq: Int32) -> UnsafeMutablePointer<Float>? { llama_get_embeddings_seq(pointer, seq) }
    func tokenEmbedding(at index: Int32) -> UnsafeMutablePointer<Float>? { llama_get_embeddings_ith(pointer, index) }
}

/// A reusable `llama_batch` (allocated once per engine, cleared per step so
/// nothing is allocated per token).
final class LlamaBatch {
    private(set) var raw: llama_batch
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        self.raw = llama_batch_init(Int32(capacity), 0, 1)
    }

    deinit { llama_batch_free(raw) }

    var count: Int { Int(raw.n_tokens) }
    var isFull: Bool { count >= capacity }

    func clear() { raw.n_tokens = 0 }

    /// Appends one token; returns its index in the batch (for logits lookup).
    @discardableResult
    func add(_ token: Token, position: Int, sequence: Int32, wantLogits: Bool) -> Int32 {
        let i = Int(raw.n_tokens)
        precondition(i < capacity, "batch overflow: the scheduler exceeded its token budget")
        raw.token[i] = token
        raw.pos[i] = Int32(position)
        raw.n_seq_id[i] = 1
        raw.seq_id[i]![0] = sequence
        raw.logits[i] = wantLogits ? 1 : 0
        raw.n_tokens += 1
        return Int32(i)
    }
}
