import Foundation
import PendraEngine

/// POST /v1/embeddings (and /api/v1/...).
struct EmbeddingsRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        // One deadline for the request (a model load does not count against
        // it): parsing, tokenizing and embedding all end when it passes, and
        // the 504 goes out then, whatever is still running.
        let seconds = app.options.embeddingTimeout
        var deadline = Self.now() + seconds
        let timeout = APIError.timeout("Embedding request took longer than \(Self.text(seconds)); send smaller batches")
        func left() -> Double { max(0, deadline - Self.now()) }
        do {
            let raw = ctx.request
            let body = try await withDeadline(left(), error: timeout, onTimeout: {}) {
                try await WorkQueue.run { () throws(APIError) in try RequestBody.parse(raw) }
            }
            let model = app.resolveModel(try body.string("model", required: true)!)
            let engine: EmbeddingEngine
            let loadStart = Self.now()
            do { engine = try await app.store.embedding(model) } catch { throw APIError.from(error) }
            deadline += Self.now() - loadStart
            let inputs = try await withDeadline(left(), error: timeout, onTimeout: {}) {
                try await WorkQueue.run { () throws(APIError) in try Self.inputs(body, engine: engine) }
            }
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
            let cancel = CancellationFlag()
            let vectors = try await withDeadline(left(), error: timeout, onTimeout: { cancel.cancel() }) {
                try await engine.embed(inputs, cancel: cancel)
            }
            let data: [JSON] = vectors.enumerated().map { i, v in
                ["object": "embedding", "index": .int(i),
                 "embedding": format == "base64" ? .string(Self.base64(v)) : .array(v.map { .double(Double($0)) })]
            }
            app.account(ctx, model: model, usage: Usage(promptTokens: tokens))
            ctx.sendJSON(JSON(["object": "list", "data": .array(data), "model": .string(model),
                               "usage": ["prompt_tokens": .int(tokens), "total_tokens": .int(tokens)]]).bytes)
        } catch let e as APIError {
            ctx.fail(e)
        } catch let e as EngineError {
            ctx.fail(.from(e))
        } catch {
            ctx.fail(.internal("\(error)"))
        }
    }

    /// A string, an array of strings, an array of token ids, or an array of those.
    static func inputs(_ body: RequestBody, engine: EmbeddingEngine) throws(APIError) -> [[Token]] {
        guard let v = body.raw("input") else { throw body.missing("input") }
        func tokens(_ j: JSON, _ at: String) throws(APIError) -> [Token] {
            if let s = j.string {
                guard !s.isEmpty else { throw .badRequest("'\(at)' is an empty string", param: "input") }
                return engine.tokenize(s)
            }
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
        var out: [[Token]] = []
        for (i, e) in list.enumerated() { out.append(try tokens(e, "input[\(i)]")) }
        guard out.count <= 2048 else { throw .badRequest("At most 2048 inputs per request", param: "input") }
        return out
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func text(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
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

/// Runs `body` with a deadline. At `seconds` the caller gets `error` at once
/// (a task group would wait for a child that cannot be cancelled) and
/// `onTimeout` stops the work, which ends at its next check.
func withDeadline<T: Sendable>(_ seconds: Double, error: APIError, onTimeout: @escaping @Sendable () -> Void,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = FirstResult<T>()
    return try await withCheckedThrowingContinuation { c in
        race.install(c)
        Task {
            do { race.resume(.success(try await body())) } catch { race.resume(.failure(error)) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if race.resume(.failure(error)) { onTimeout() }
        }
    }
}

/// The first of several results resumes the continuation; later ones are dropped.
final class FirstResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?

    func install(_ c: CheckedContinuation<T, Error>) { lock.withLock { continuation = c } }

    /// True if this result was the first.
    @discardableResult
    func resume(_ result: Result<T, Error>) -> Bool {
        let c: CheckedContinuation<T, Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        c?.resume(with: result)
        return c != nil
    }
}
