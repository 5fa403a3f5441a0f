import CLlama

/// Reranking on a cross-encoder (pooling type rank: BERT / XLM-R rerankers).
/// The pair goes in as one sequence, laid out the way llama-server lays it
/// out, so scores match llama.cpp's own server on the same GGUF.
extension EmbeddingEngine {
    /// The tokens of one query/document pair: the model's `rerank` template
    /// when its GGUF has one (`{query}` / `{document}` substituted), else
    /// `[BOS] query [EOS] [SEP] document [EOS]` with each special token only
    /// where the vocabulary asks for it (what BERT's `[CLS] q [SEP] d [SEP]` becomes).
    public func rerankTokens(query: String, document: String) -> [Token] {
        if let template = model.rerankTemplate {
            let prompt = template.replacingOccurrences(of: "{query}", with: query)
                .replacingOccurrences(of: "{document}", with: document)
            return model.tokenize(prompt, addSpecial: false, parseSpecial: true)
        }
        let q = model.tokenize(query, addSpecial: false, parseSpecial: false)
        let d = model.tokenize(document, addSpecial: false, parseSpecial: false)
        let eos = model.eos != LLAMA_TOKEN_NULL ? model.eos : model.sep
        var out: [Token] = []
        out.reserveCapacity(q.count + d.count + 4)
        if model.addsBOS { out.append(model.bos) }
        out += q
        if model.addsEOS { out.append(eos) }
        if model.addsSEP { out.append(model.sep) }
        out += d
        if model.addsEOS { out.append(eos) }
        return out
    }

    /// One relevance score per pair (the first classifier output), in order.
    public func score(_ pairs: [[Token]], cancel: CancellationFlag? = nil) async throws(EngineError) -> [Float] {
        guard isReranker else {
            throw .invalidRequest("this model is not a reranker (its pooling type is not rank)")
        }
        return try await embed(pairs, cancel: cancel).map { $0.first ?? 0 }
    }
}

extension LlamaModel {
    public var sep: Token { llama_vocab_sep(vocab) }
    public var addsEOS: Bool { llama_vocab_get_add_eos(vocab) }
    public var addsSEP: Bool { llama_vocab_get_add_sep(vocab) }

    /// `tokenizer.chat_template.rerank`, which decoder rerankers (Qwen3) carry.
    public var rerankTemplate: String? {
        guard let t = llama_model_chat_template(pointer, "rerank") else { return nil }
        return String(cString: t)
    }
}
