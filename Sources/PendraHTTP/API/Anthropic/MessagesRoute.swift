import Foundation
import PendraEngine

/// POST /v1/messages (and /api/v1/messages): the Anthropic envelope over the
/// same engine call as chat completions. Parse, pick the encoder.
struct MessagesRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let runner = GenerationRunner(app: app, ctx: ctx)
        let resolve = app.resolveModel
        guard let (req, started) = await runner.begin({ body throws(APIError) in try AnthropicRequest.parse(body, resolve: resolve) },
                                                      chat: \.chat) else { return }
        let format = AnthropicFormat(id: "msg_" + ChatCompletionsRoute.randomID(), model: req.requestedModel)
        if req.stream {
            return await runner.stream(started, model: req.chat.model,
                                       encoder: AnthropicStreamEncoder(format: format, promptTokens: started.prepared.tokens.count))
        }
        guard let reply = await runner.complete(started, model: req.chat.model) else { return }
        ctx.sendJSON(format.message(reply).bytes)
    }
}

/// POST /v1/messages/count_tokens: the same rendering as a real request.
struct CountTokensRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        do {
            let raw = ctx.request
            let req = try AnthropicRequest.parse(try await RequestBody.read(raw),
                                                 resolve: app.resolveModel, countOnly: true)
            let engine: ChatEngine
            do { engine = try await app.store.chat(req.chat.model) } catch { throw APIError.from(error, family: .anthropic) }
            let prepared: PreparedChat
            let chat = req.chat
            prepared = try await WorkQueue.run { () throws(APIError) in
                do throws(EngineError) { return try engine.prepare(chat) } catch { throw APIError.from(error) }
            }
            ctx.sendJSON(JSON(["input_tokens": .int(prepared.tokens.count)]).bytes)
        } catch {
            ctx.fail(APIError.from(error))
        }
    }
}
