import PendraEngine

/// POST /tokenize, /detokenize and /apply-template in llama-server's shapes,
/// with a `model` field to pick the model (default: the configured default,
/// else the first chat model).
struct TokenizeRoute {
    let app: PendraApp

    func tokenize(_ ctx: RequestContext) async {
        do {
            let body = try await RequestBody.read(ctx.request)
            let model = try await model(body)
            let content = try body.string("content") ?? ""
            let tokens = model.tokenize(content, addSpecial: try body.bool("add_special") ?? false,
                                        parseSpecial: try body.bool("parse_special") ?? true)
            guard try body.bool("with_pieces") ?? false else {
                return ctx.sendJSON(JSON(["tokens": .array(tokens.map { .int(Int($0)) })]).bytes)
            }
            // A piece that is not valid UTF-8 on its own goes as its bytes.
            let pieces: [JSON] = tokens.map { t in
                var bytes: [UInt8] = []
                model.piece(t, special: true, into: &bytes)
                let piece: JSON = String(validating: bytes, as: UTF8.self).map { .string($0) }
                    ?? .array(bytes.map { .int(Int($0)) })
                return ["id": .int(Int(t)), "piece": piece]
            }
            ctx.sendJSON(JSON(["tokens": .array(pieces)]).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }

    func detokenize(_ ctx: RequestContext) async {
        do {
            let body = try await RequestBody.read(ctx.request)
            let model = try await model(body)
            var tokens: [Token] = []
            for (i, v) in (try body.array("tokens") ?? []).enumerated() {
                guard let t = v.int, t >= 0, t < model.vocabSize else {
                    throw body.invalid("tokens[\(i)]", "not a token id of this model (0..<\(model.vocabSize))")
                }
                tokens.append(Token(t))
            }
            // Special tokens are written out, as llama-server does.
            ctx.sendJSON(JSON(["content": .string(model.detokenize(tokens, special: true))]).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }

    /// The prompt a chat completions body renders to (messages, tools).
    func applyTemplate(_ ctx: RequestContext) async {
        do {
            var body = try await RequestBody.read(ctx.request)
            var o = body.object
            if o["model"] == nil { o["model"] = .string(try defaultModel(chat: true)) }
            body = RequestBody(object: o)
            let req = try OpenAIChatRequest.parse(body, resolve: app.resolveModel)
            let engine: ChatEngine
            do { engine = try await app.store.chat(req.chat.model) } catch { throw APIError.from(error) }
            let prepared = try engine.prepare(req.chat)
            ctx.sendJSON(JSON(["prompt": .string(prepared.prompt)]).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }

    private func model(_ body: RequestBody) async throws -> LlamaModel {
        let id = app.resolveModel(try body.string("model") ?? defaultModel(chat: false))
        guard let entry = app.store.config.model(id) else {
            throw APIError.from(ModelStoreError.unknownModel(id, valid: app.store.ids))
        }
        do {
            switch try await app.store.engine(for: id, capability: entry.capability) {
            case .chat(let e): return e.model
            case .embedding(let e): return e.model
            }
        } catch {
            throw APIError.from(error)
        }
    }

    private func defaultModel(chat: Bool) throws(APIError) -> String {
        if let d = app.options.defaultModel { return d }
        let models = app.store.config.models
        guard let m = models.first(where: { $0.capability == .chat }) ?? (chat ? nil : models.first) else {
            throw .badRequest("No model to use; pass 'model'", param: "model")
        }
        return m.id
    }
}
