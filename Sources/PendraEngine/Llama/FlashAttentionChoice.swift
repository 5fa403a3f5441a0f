/// Whether a chat context uses llama.cpp's fused flash-attention kernel when
/// the model's config leaves `flash_attention` unset.
///
/// llama.cpp's own default ("auto") turns it on wherever the device supports
/// it, the CPU included. On the CPU that kernel walks the KV cells once per
/// query row, where without it a batch's scores are one matrix product, so
/// batches of a few tokens deep in a context (speculative verifies, a prefix
/// hit's new turn, and decode itself) run faster without it: measured on 2
/// cores, SmolLM2-135M at ~3,000 cells decoded 51 tok/s without against
/// 37 with, and a 9-token verify took 77 ms against 153 (docs/benchmarks.md).
/// The fused kernel skips masked cells, though, and in a unified cache every
/// other sequence's cells are masked: with many sequences the matrix product
/// computes them all, and a 64-sequence server got slower (cold prompts 1.4-2.4x
/// later). So it is off only where one sequence owns every cell.
enum FlashAttentionChoice {
    /// nil leaves it to llama.cpp.
    static func resolve(configured: Bool?, parallel: Int, onCPU: Bool, cacheTypeV: KVCacheType) -> Bool? {
        if let configured { return configured }
        // llama.cpp quantizes the V cache only with flash attention.
        guard cacheTypeV == .f16 else { return nil }
        return onCPU && parallel == 1 ? false : nil
    }
}
