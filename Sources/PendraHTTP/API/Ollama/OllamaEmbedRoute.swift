import Foundation
import PendraEngine

/// POST /api/embed (batch `input`) and the legacy POST /api/embeddings
/// (one `prompt`), on the configured embedding models.
struct OllamaEmbedRoute {
    let app: PendraApp

    func embed(_ ctx: RequestContext) async {
        let arrived = DispatchTime.now().uptimeNanoseconds
        var deadline = RequestDeadline.embedding(seconds: app.options.embeddingTimeout, advice: "send smaller batches")
        do {
            let raw = ctx.request
            let body = try await deadline.work { _ throws(APIError) in try RequestBody.parse(raw) }
            let texts = try Self.inputs(body)
            let truncate = try body.bool("truncate") ?? true
            let (engine, model, load) = try await deadline.excluding { try await self.engine(body) }
            if let d = try body.int("dimensions", min: 1), d != engine.dimensions {
                throw APIError.badRequest("This model gives \(engine.dimensions)-dimensional embeddings and cannot shorten them to \(d); omit 'dimensions' or pass \(engine.dimensions)", param: "dimensions")
            }
            let inputs = try await deadline.work { cancel throws(APIError) in
                try Self.tokenize(texts, engine: engine, truncate: truncate, cancel: cancel)
            }
            let tokens = inputs.reduce(0) { $0 + $1.count }
            try app.reserveTokens(ctx, tokens)
            let vectors = inputs.isEmpty ? [] : try await deadline.engine { cancel in try await engine.embed(inputs, cancel: cancel) }
            app.account(ctx, model: model, usage: Usage(promptTokens: tokens))
            var o = JSONObject()
            o["model"] = .string(model)
            o["embeddings"] = .array(vectors.map(Self.vector))
            o["total_duration"] = .int(Int(DispatchTime.now().uptimeNanoseconds - arrived))
            o["load_duration"] = .int(Int(load))
            o["prompt_eval_count"] = .int(tokens)
            ctx.sendJSON(JSON.object(o).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }

    /// Ollama truncates an input longer than the context unless told not to.
    static func tokenize(_ texts: [String], engine: EmbeddingEngine, truncate: Bool,
                         cancel: CancellationFlag) throws(APIError) -> [[Token]] {
        var inputs: [[Token]] = []
        for (i, text) in texts.enumerated() {
            if cancel.isCancelled { throw .timeout() }
            var tokens = engine.tokenize(text)
            if tokens.count > engine.maxInputTokens {
                guard truncate else {
                    throw APIError.badRequest("input \(i) has \(tokens.count) tokens, more than this model's context of \(engine.maxInputTokens); shorten it or set truncate: true", param: "input")
                }
                tokens = Array(tokens.prefix(engine.maxInputTokens))
            }
            inputs.append(tokens)
        }
        return inputs
    }

    /// The legacy endpoint: one prompt, one `embedding`; an empty prompt
    /// gives an empty vector, as Ollama answers it.
    func embeddings(_ ctx: RequestContext) async {
        var deadline = RequestDeadline.embedding(seconds: app.options.embeddingTimeout, advice: "send smaller batches")
        do {
            let raw = ctx.request
            let body = try await deadline.work { _ throws(APIError) in try RequestBody.parse(raw) }
            let prompt = try body.string("prompt") ?? ""
            let (engine, model, _) = try await deadline.excluding { try await self.engine(body) }
            guard !prompt.isEmpty else { return ctx.sendJSON(JSON(["embedding": []]).bytes) }
            let inputs = try await deadline.work { cancel throws(APIError) in
                try Self.tokenize([prompt], engine: engine, truncate: true, cancel: cancel)
            }
            try app.reserveTokens(ctx, inputs[0].count)
            let v = try await deadline.engine { cancel in try await engine.embed(inputs, cancel: cancel) }
            app.account(ctx, model: model, usage: Usage(promptTokens: inputs[0].count))
            ctx.sendJSON(JSON(["embedding": Self.vector(v[0])]).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }

    private func engine(_ body: RequestBody) async throws -> (EmbeddingEngine, String, UInt64) {
        let entry = try OllamaModels.entry(app, try body.string("model", required: true)!)
        guard entry.capability == .embedding else {
            throw APIError.badRequest("\"\(entry.id)\" does not support embeddings", param: "model")
        }
        let t = DispatchTime.now().uptimeNanoseconds
        do {
            let e = try await app.store.embedding(entry.id)
            return (e, entry.id, DispatchTime.now().uptimeNanoseconds - t)
        } catch {
            throw APIError.from(error, family: .ollama)
        }
    }

    /// `input`: a string or a list of strings.
    static func inputs(_ body: RequestBody) throws(APIError) -> [String] {
        guard let v = body.raw("input") else { throw body.missing("input") }
        if let s = v.string { return s.isEmpty ? [] : [s] }
        guard let list = v.array else { throw body.wrongType("input", "a string or an array of strings", v) }
        try EmbeddingsRoute.checkBatch(list.count)
        var out: [String] = []
        for (i, e) in list.enumerated() {
            guard let s = e.string else { throw body.wrongType("input[\(i)]", "a string", e) }
            out.append(try EmbeddingsRoute.nonEmpty(s, at: "input[\(i)]"))
        }
        return out
    }

    static func vector(_ v: [Float]) -> JSON { .array(v.map { .double(Double($0)) }) }
}
