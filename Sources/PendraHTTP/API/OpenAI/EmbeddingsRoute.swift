import Foundation
import PendraEngine

/// POST /v1/embeddings (and /api/v1/...).
struct EmbeddingsRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        // One deadline for the request (a model load does not count against
        // it): parsing, tokenizing and embedding all end when it passes, and
        // the 504 goes out then, each stage cancelled at its next check.
        var deadline = RequestDeadline.embedding(seconds: app.options.embeddingTimeout, advice: "send smaller batches")
        do {
            let raw = ctx.request
            let body = try await deadline.work { _ throws(APIError) in try RequestBody.parse(raw) }
            let model = app.resolveModel(try body.string("model", required: true)!)
            let engine: EmbeddingEngine = try await deadline.excluding {
                do { return try await app.store.embedding(model) } catch let e as ModelStoreError { throw APIError.from(e) }
            }
            let inputs = try await deadline.work { cancel throws(APIError) in try Self.inputs(body, engine: engine, cancel: cancel) }
            if let d = try body.int("dimensions", min: 1), d != engine.dimensions {
                throw APIError.badRequest("This model gives \(engine.dimensions)-dimensional embeddings and cannot shorten them to \(d); omit 'dimensions' or pass \(engine.dimensions)", param: "dimensions")
            }
            let format = try body.string("encoding_format") ?? "float"
            guard format == "float" || format == "base64" else {
                throw body.invalid("encoding_format", "'\(format)' is not float or base64")
            }
            _ = try body.string("user")

            let tokens = inputs.reduce(0) { $0 + $1.count }
            try app.reserveTokens(ctx, tokens)
            let vectors = try await deadline.engine { cancel in try await engine.embed(inputs, cancel: cancel) }
            let data: [JSON] = vectors.enumerated().map { i, v in
                ["object": "embedding", "index": .int(i),
                 "embedding": format == "base64" ? .string(Self.base64(v)) : .array(v.map { .double(Double($0)) })]
            }
            app.account(ctx, model: model, usage: Usage(promptTokens: tokens))
            ctx.sendJSON(JSON(["object": "list", "data": .array(data), "model": .string(model),
                               "usage": ["prompt_tokens": .int(tokens), "total_tokens": .int(tokens)]]).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }

    /// A string, an array of strings, an array of token ids, or an array of those.
    /// Tokenizing stops between inputs once `cancel` is set (the deadline passed).
    static func inputs(_ body: RequestBody, engine: EmbeddingEngine,
                       cancel: CancellationFlag = CancellationFlag()) throws(APIError) -> [[Token]] {
        guard let v = body.raw("input") else { throw body.missing("input") }
        func tokens(_ j: JSON, _ at: String) throws(APIError) -> [Token] {
            if cancel.isCancelled { throw .timeout() }
            if let s = j.string { return engine.tokenize(try nonEmpty(s, at: at)) }
            guard let a = j.array, !a.isEmpty else { throw .badRequest("'\(at)' must be a non-empty string or token array", param: "input") }
            var out: [Token] = []
            for e in a {
                guard let t = e.int, t >= 0, t < engine.model.vocabSize else {
                    throw .badRequest("'\(at)' holds an invalid token id", param: "input")
                }
                out.append(Token(t))
            }
            return out
        }
        if v.string != nil { return [try tokens(v, "input")] }
        guard let list = v.array else { throw body.wrongType("input", "a string or an array", v) }
        guard !list.isEmpty else { throw .badRequest("'input' is empty", param: "input") }
        // One token array, or a list of inputs.
        if list.allSatisfy({ $0.int != nil }) { return [try tokens(v, "input")] }
        try checkBatch(list.count)
        var out: [[Token]] = []
        for (i, e) in list.enumerated() { out.append(try tokens(e, "input[\(i)]")) }
        return out
    }

    /// The batch limit of both embedding endpoints (this and Ollama's /api/embed),
    /// checked before anything is tokenized.
    static func checkBatch(_ count: Int) throws(APIError) {
        guard count <= 2048 else { throw .badRequest("At most 2048 inputs per request", param: "input") }
    }

    /// An input string must not be empty (there is nothing to embed).
    static func nonEmpty(_ s: String, at: String) throws(APIError) -> String {
        guard !s.isEmpty else { throw .badRequest("'\(at)' is an empty string", param: "input") }
        return s
    }

    /// Little-endian float32, base64 (what the OpenAI SDK decodes).
    static func base64(_ v: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(v.count * 4)
        for f in v {
            let b = f.bitPattern.littleEndian
            bytes.append(UInt8(b & 0xFF)); bytes.append(UInt8((b >> 8) & 0xFF))
            bytes.append(UInt8((b >> 16) & 0xFF)); bytes.append(UInt8(b >> 24))
        }
        return Data(bytes).base64EncodedString()
    }
}
