/// What a model's llama.cpp memory can do with a cached prefix. It decides
/// which prefix reuses are correct, so the scheduler asks it before reusing.
public enum MemoryKind: Sendable, Equatable {
    /// Positional KV cells for every layer (llama, qwen2, ...): any prefix of a
    /// cached sequence can be kept and the rest removed.
    case unified
    /// Some layers attend only over the last `window` positions (gemma 2/3,
    /// gpt-oss, ...). Without `swa_full`, llama.cpp drops those layers' cells
    /// once they fall out of the window, so a prefix can be kept only while
    /// the cells it needs are still there (`llama_memory_seq_pos_min`).
    case slidingWindow(window: Int)
    /// A recurrent state (mamba, rwkv) or a hybrid of attention and recurrent
    /// layers (qwen3.5, lfm2, granite 4 hybrid, nemotron-h): the state exists
    /// only for the last position, so a cached sequence can be continued from
    /// its end, and from nowhere else. `llama_memory_seq_rm` of a partial
    /// range returns false.
    case recurrent

    /// Whether a slot may be continued after its first `length` cached tokens
    /// when it holds `cached` tokens. `firstPosition` is the oldest position the
    /// memory still holds for the slot (llama_memory_seq_pos_min), needed for
    /// sliding windows only. A recurrent slot continues from its end, or in
    /// place from one of its saved `checkpoints` (restoring the state there).
    public func canContinue(at length: Int, cached: Int, checkpoints: [Int] = [],
                            firstPosition: () -> Int) -> Bool {
        guard length > 0 else { return true }
        switch self {
        case .unified:
            return true
        case .recurrent:
            return length == cached || checkpoints.contains(length)
        case .slidingWindow(let window):
            // llama-server's rule: the cells from `length - window` on must
            // still be held; anything older may be gone.
            let oldest = firstPosition()
            return oldest >= 0 && oldest <= max(0, length - window)
        }
    }
}
