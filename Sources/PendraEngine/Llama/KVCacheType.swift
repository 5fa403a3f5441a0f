import CLlama

/// Element type of the KV cache, per model in the config (`cache_type_k`,
/// `cache_type_v`). Quantized types trade a little accuracy for memory.
public enum KVCacheType: String, Sendable, CaseIterable {
    case f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0

    var ggmlType: ggml_type {
        switch self {
        case .f32: GGML_TYPE_F32
        case .f16: GGML_TYPE_F16
        case .bf16: GGML_TYPE_BF16
        case .q8_0: GGML_TYPE_Q8_0
        case .q5_1: GGML_TYPE_Q5_1
        case .q5_0: GGML_TYPE_Q5_0
        case .q4_1: GGML_TYPE_Q4_1
        case .q4_0: GGML_TYPE_Q4_0
        }
    }

    /// Bytes per element, averaged over a block (ggml's block sizes), for
    /// estimating the cache before a load.
    public var bytesPerElement: Double {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q8_0: 34.0 / 32
        case .q5_1: 24.0 / 32
        case .q5_0: 22.0 / 32
        case .q4_1: 20.0 / 32
        case .q4_0: 18.0 / 32
        }
    }
}
