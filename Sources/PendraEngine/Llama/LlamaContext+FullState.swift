import CLlama

extension LlamaContext {
    /// Bytes `saveFullState` would take for a sequence (0 when it holds nothing).
    func fullStateSize(seq: Int32) -> Int {
        llama_state_seq_get_size_ext(pointer, seq, llama_state_seq_flags(LLAMA_STATE_SEQ_FLAGS_NONE))
    }

    /// Everything llama.cpp holds for a sequence: every layer's K/V cells
    /// with their positions, and any recurrent state (flags NONE, unlike the
    /// PARTIAL_ONLY checkpoints of `saveState`), for the host-RAM prefix
    /// cache. nil when the state is empty, larger than `maxBytes`, or was not
    /// written in full.
    func saveFullState(seq: Int32, maxBytes: Int) -> [UInt8]? {
        let flags = llama_state_seq_flags(LLAMA_STATE_SEQ_FLAGS_NONE)
        let size = llama_state_seq_get_size_ext(pointer, seq, flags)
        guard size > 0, size <= maxBytes else { return nil }
        var written = 0
        // Uninitialized: zero-filling a state of a hundred megabytes first
        // would double the cost of the save.
        let data = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            written = llama_state_seq_get_data_ext(pointer, buffer.baseAddress, size, seq, flags)
            count = written == size ? size : 0
        }
        return written == size ? data : nil
    }

    /// Puts a `saveFullState` back into a sequence (llama.cpp first empties
    /// it and finds free cells for every saved one); false if it refused.
    func restoreFullState(seq: Int32, _ data: [UInt8]) -> Bool {
        let flags = llama_state_seq_flags(LLAMA_STATE_SEQ_FLAGS_NONE)
        let read = data.withUnsafeBufferPointer {
            llama_state_seq_set_data_ext(pointer, $0.baseAddress, data.count, seq, flags)
        }
        return read == data.count
    }
}
