/// Where a prompt's new tokens are better computed as one full tile of
/// llama.cpp's CPU flash-attention kernel, by recomputing a few of the cached
/// tokens before them.
///
/// ggml's CPU kernel (`ggml_compute_forward_flash_attn_ext_f16`, pinned
/// source) takes its tiled path only for micro-batches of at least
/// `GGML_FA_TILE_Q` = 64 query rows; from 2 to 63 rows it walks every KV cell
/// once per row. Deep in a context that makes 63 rows cost twice what 64 do.
/// llama-bench, 2 threads, flash attention on, ms for a batch of n tokens at
/// depth d:
///
/// | model, d | n = 32 | 40 | 48 | 56 | 63 | 64 |
/// |---|---:|---:|---:|---:|---:|---:|
/// | SmolLM2-135M Q4_1, 500 | 196 | | 248 | | 324 | 293 |
/// | SmolLM2-135M Q4_1, 1,000 | 226 | | 333 | | 478 | 355 |
/// | SmolLM2-135M Q4_1, 3,000 | 504 | | 679 | | 904 | 464 |
/// | bench-llama Q8_0, 2,000 | | | 260 | | 375 | 185 |
///
/// A conversation's next turn is such a batch: the new user message and the
/// template around it, often 30-60 tokens after thousands cached. The rule
/// pads to a full tile where the table says it pays with room to spare: at
/// least 40 new tokens after 2,000 cached, or 56 after 1,000. Below that the
/// row-by-row path is cheaper or too close to call.
public enum AttentionTile {
    /// GGML_FA_TILE_Q in the pinned ggml-cpu.
    public static let rows = 64

    /// The cached prefix to reuse for a prompt of `promptCount` tokens whose
    /// first `reused` are cached: `reused`, or fewer so that exactly `tile`
    /// tokens are computed. `tile` 0: never.
    public static func reused(_ reused: Int, promptCount: Int, tile: Int) -> Int {
        guard tile > 0 else { return reused }
        let new = promptCount - reused
        guard new >= 2, new < tile, reused >= tile - new else { return reused }
        let pays = (new >= 40 && reused >= 2000) || (new >= 56 && reused >= 1000)
        return pays ? promptCount - tile : reused
    }
}
