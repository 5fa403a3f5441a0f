/// The well-known keys, read the way llama.cpp reads them. All are nil when absent or of
/// the wrong type, so a sloppy converter's file still lists with what it does have.
extension GGUFFile {
    public var architecture: String? { metadata["general.architecture"]?.stringValue }
    public var name: String? { metadata["general.name"]?.stringValue }
    public var license: String? { metadata["general.license"]?.stringValue }
    public var sizeLabel: String? { metadata["general.size_label"]?.stringValue }

    /// `general.file_type`, a `LLAMA_FTYPE_*` number.
    public var fileType: UInt32? {
        metadata["general.file_type"]?.intValue.flatMap { UInt32(exactly: $0) }
    }

    public var contextLength: Int? { architectureInt("context_length") }
    public var embeddingLength: Int? { architectureInt("embedding_length") }
    public var blockCount: Int? { architectureInt("block_count") }
    /// `{arch}.pooling_type` (llama.cpp's `LLAMA_POOLING_TYPE_*`), set by embedding models.
    public var poolingType: Int? { architectureInt("pooling_type") }

    public var chatTemplate: String? { metadata["tokenizer.chat_template"]?.stringValue }
    /// "llama" (SentencePiece), "gpt2" (byte-level BPE), "bert" (WordPiece), ...
    public var tokenizerModel: String? { metadata["tokenizer.ggml.model"]?.stringValue }

    /// The text of token `id` from `tokenizer.ggml.tokens`, nil when out of range.
    public func token(at id: Int) -> String? {
        guard let tokens = metadata["tokenizer.ggml.tokens"]?.arrayValue,
              tokens.indices.contains(id) else { return nil }
        return tokens[id].stringValue
    }

    public var bosToken: String? {
        metadata["tokenizer.ggml.bos_token_id"]?.intValue.flatMap(token(at:))
    }

    public var eosToken: String? {
        metadata["tokenizer.ggml.eos_token_id"]?.intValue.flatMap(token(at:))
    }

    /// Sum of all tensors' element counts (saturating; real files are far below 2^64).
    public var parameterCount: UInt64 {
        tensors.reduce(0) { sum, tensor in
            let (total, overflow) = sum.addingReportingOverflow(tensor.elementCount)
            return overflow ? .max : total
        }
    }

    /// `general.size_label` when the converter wrote one ("8B", "8x7B"), else the parameter
    /// count in gguf-py's rounded notation ("8.0B", "135M", "22M").
    public var parameterSizeLabel: String {
        sizeLabel ?? GGUFSizeLabel.rounded(parameterCount)
    }

    /// "Q4_K_M", "Q8_0", "F16", ... from `general.file_type`; without one (or with a number
    /// llama.cpp does not know), the type holding the most tensor bytes; "unknown" when the
    /// file has neither.
    public var quantizationName: String {
        if let fileType, let name = LlamaFileType.name(fileType) { return name }
        return dominantTensorType?.name ?? "unknown"
    }

    /// The ggml type that accounts for the most tensor bytes; ties go to the lower type number
    /// so the answer does not depend on dictionary order.
    public var dominantTensorType: GGMLType? {
        var bytesByType: [GGMLType: UInt64] = [:]
        for tensor in tensors {
            bytesByType[tensor.type, default: 0] &+= tensor.byteSize
        }
        return bytesByType.max { a, b in
            a.value != b.value ? a.value < b.value : a.key.rawValue > b.key.rawValue
        }?.key
    }

    private func architectureInt(_ suffix: String) -> Int? {
        guard let architecture else { return nil }
        return metadata["\(architecture).\(suffix)"]?.intValue
    }
}
