import PendraEngine

/// POST /v1/rerank and /rerank (llama-server's, Jina's and Cohere's shape):
/// each document is scored against the query by a cross-encoder configured
/// with capability `rerank`; results come back sorted by score.
struct RerankRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        var deadline = RequestDeadline.embedding(seconds: app.options.embeddingTimeout, advice: "send fewer documents", what: "Rerank")
        do {
            let raw = ctx.request
            let body = try await deadline.work { _ throws(APIError) in try RequestBody.parse(raw) }
            let model = app.resolveModel(try body.string("model", required: true)!)
            let query = try body.string("query", required: true)!
            let documents = try Self.documents(body)
            let topN = try body.int("top_n", min: 0) ?? documents.count
            let returnDocuments = try body.bool("return_documents") ?? false
            let engine: EmbeddingEngine = try await deadline.excluding {
                do { return try await app.store.reranker(model) } catch let e as ModelStoreError { throw APIError.from(e) }
            }
            let pairs = try await deadline.work { cancel throws(APIError) in
                try documents.map { d throws(APIError) in
                    if cancel.isCancelled { throw .timeout() }
                    return engine.rerankTokens(query: query, document: d)
                }
            }
            try app.reserveTokens(ctx, pairs.reduce(0) { $0 + $1.count })
            let scores = try await deadline.engine { cancel in try await engine.score(pairs, cancel: cancel) }
            let tokens = pairs.reduce(0) { $0 + $1.count }
            app.account(ctx, model: model, usage: Usage(promptTokens: tokens))
            let ranked = Self.ranked(scores, topN: topN)
            let results: [JSON] = ranked.map { i in
                var o = JSONObject()
                o["index"] = .int(i)
                o["relevance_score"] = .double(Double(scores[i]))
                if returnDocuments { o["document"] = ["text": .string(documents[i])] }
                return .object(o)
            }
            ctx.sendJSON(JSON(["model": .string(model), "object": "list",
                               "usage": ["prompt_tokens": .int(tokens), "total_tokens": .int(tokens)],
                               "results": .array(results)]).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }

    /// Indices by descending score (ties keep input order), the first `topN`.
    static func ranked(_ scores: [Float], topN: Int) -> [Int] {
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return Array(order.prefix(topN))
    }

    /// `documents`: strings or `{"text": ...}` objects.
    static func documents(_ body: RequestBody) throws(APIError) -> [String] {
        guard let list = try body.array("documents", required: true), !list.isEmpty else {
            throw .badRequest("'documents' must contain at least one document", param: "documents")
        }
        guard list.count <= 1024 else { throw .badRequest("At most 1024 documents per request", param: "documents") }
        var out: [String] = []
        for (i, d) in list.enumerated() {
            if let s = d.string { out.append(s); continue }
            guard let o = d.object else { throw body.wrongType("documents[\(i)]", "a string or an object with 'text'", d) }
            out.append(try body.nested(o, at: "documents[\(i)]").string("text", required: true)!)
        }
        return out
    }
}
