import Foundation
import PendraEngine

/// POST /v1/chat/completions (and /api/v1/...): parse, pick the encoder.
struct ChatCompletionsRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let runner = GenerationRunner(app: app, ctx: ctx)
        let resolve = app.resolveModel
        guard let (req, started) = await runner.begin({ body throws(APIError) in try OpenAIChatRequest.parse(body, resolve: resolve) },
                                                      chat: \.chat) else { return }
        let format = OpenAIChatFormat(id: "chatcmpl-" + Self.randomID(), created: Int(Date().timeIntervalSince1970),
                                      model: req.chat.model)
        if req.stream {
            return await runner.stream(started, model: req.chat.model,
                                       encoder: OpenAIChatStreamEncoder(format: format, includeUsage: req.includeUsage))
        }
        guard let reply = await runner.complete(started, model: req.chat.model) else { return }
        ctx.sendJSON(format.completion(reply).bytes)
    }

    static func randomID() -> String {
        (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
