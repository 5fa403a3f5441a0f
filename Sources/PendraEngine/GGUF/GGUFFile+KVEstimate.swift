/// What a model's KV cache will take for a context, estimated from its GGUF
/// header before any weight is loaded (for `pendra inspect`, the catalogue
/// and memory planning). It follows how llama.cpp sizes its caches: one K and
/// one V row per cell for each attention layer, sliding-window layers sized
/// to their window for every sequence plus a micro-batch, and recurrent
/// layers holding a fixed state per sequence instead of cells.
extension GGUFFile {
    public struct KVEstimate: Sendable, Equatable {
        /// Bytes of K and V for the full-attention layers.
        public var fullAttentionBytes: UInt64
        /// Bytes of K and V for the sliding-window layers.
        public var slidingWindowBytes: UInt64
        /// Bytes of recurrent state (all sequences), when the header says enough.
        public var recurrentBytes: UInt64
        public var total: UInt64 { fullAttentionBytes + slidingWindowBytes + recurrentBytes }
    }

    /// Every `n`-th layer is full attention in these architectures; the rest
    /// slide (llama.cpp's `load_swa_pattern` defaults, for files that do not
    /// say `{arch}.attention.sliding_window_pattern` themselves).
    static let slidingWindowPatterns: [String: Int] = [
        "gemma2": 2, "gemma3": 6, "gemma3n": 5, "gemma-embedding": 6, "gpt-oss": 2, "cohere2": 4,
        "llama4": 4, "exaone4": 4, "olmo2": 4, "plamo3": 8,
    ]

    public func kvCacheEstimate(context: Int, parallel: Int, typeK: KVCacheType = .f16, typeV: KVCacheType = .f16,
                                swaFull: Bool = false, microBatch: Int = 512) -> KVEstimate? {
        guard let arch = architecture, let layers = blockCount, layers > 0 else { return nil }
        func int(_ k: String) -> Int? { metadata["\(arch).\(k)"]?.intValue }
        func perLayer(_ k: String) -> [Int]? {
            if let a = metadata["\(arch).\(k)"]?.arrayValue { return a.compactMap(\.intValue) }
            return int(k).map { Array(repeating: $0, count: layers) }
        }
        let heads = perLayer("attention.head_count") ?? []
        var kvHeads = perLayer("attention.head_count_kv") ?? heads
        // Hybrids that name their attention layers by interval (qwen3.5:
        // every n-th layer attends, the others are recurrent).
        if let n = int("full_attention_interval"), n > 0 {
            kvHeads = kvHeads.enumerated().map { (il, h) in (il + 1) % n == 0 ? h : 0 }
        }
        let embd = embeddingLength ?? 0
        let window = int("attention.sliding_window") ?? 0
        let swaLayers: [Bool] = {
            guard window > 0, !swaFull else { return Array(repeating: false, count: layers) }
            if let flags = metadata["\(arch).attention.sliding_window_pattern"]?.arrayValue {
                return (0..<layers).map { $0 < flags.count && (flags[$0].boolValue ?? false) }
            }
            let n = int("attention.sliding_window_pattern") ?? Self.slidingWindowPatterns[arch] ?? 1
            return (0..<layers).map { n == 0 || $0 % n < n - 1 }
        }()
        // llama_kv_cache_iswa: the window for every sequence (the cache is
        // unified) plus a micro-batch, padded to 256 cells.
        let swaCells = (min(context, window * parallel + microBatch) + 255) / 256 * 256
        var full: Double = 0, swa: Double = 0
        for l in 0..<layers {
            let kv = l < kvHeads.count ? kvHeads[l] : 0
            guard kv > 0 else { continue }  // a recurrent layer in a hybrid
            let h = l < heads.count && heads[l] > 0 ? heads[l] : kv
            let keyLength = int("attention.key_length") ?? (embd / max(h, 1))
            let valueLength = int("attention.value_length") ?? keyLength
            let row = Double(kv) * (Double(keyLength) * typeK.bytesPerElement + Double(valueLength) * typeV.bytesPerElement)
            if swaLayers[l] { swa += row * Double(swaCells) } else { full += row * Double(context) }
        }
        var recurrent: UInt64 = 0
        if let inner = int("ssm.inner_size"), let state = int("ssm.state_size"), let conv = int("ssm.conv_kernel") {
            // Mamba-style: a conv state and an SSM state per layer and sequence, in f32.
            let groups = int("ssm.group_count") ?? 1
            let recurrentLayers = kvHeads.isEmpty ? layers : kvHeads.filter { $0 == 0 }.count
            let perSeq = (max(conv - 1, 0) * (inner + 2 * groups * state) + state * inner) * 4
            recurrent = UInt64(perSeq * recurrentLayers * parallel)
        }
        return KVEstimate(fullAttentionBytes: UInt64(full), slidingWindowBytes: UInt64(swa), recurrentBytes: recurrent)
    }
}
