import Foundation
import PendraEngine

/// POST /v1/responses (and /api/v1/responses): the Responses API over the
/// same engine call as chat completions. Codex's only wire protocol.
struct ResponsesRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let runner = GenerationRunner(app: app, ctx: ctx)
        let resolve = app.resolveModel
        guard let (req, started) = await runner.begin({ body throws(APIError) in try ResponsesRequest.parse(body, resolve: resolve) },
                                                      chat: \.chat) else { return }
        let format = ResponsesFormat(request: req, createdAt: Int(Date().timeIntervalSince1970))
        if req.stream { return await runner.stream(started, model: req.chat.model, encoder: ResponsesStreamEncoder(format: format)) }
        guard let reply = await runner.complete(started, model: req.chat.model) else { return }
        let status = ResponsesFormat.status(reply.result.reason)
        let items = format.outputItems(reply, status: status)
        ctx.sendJSON(format.response(status: status, output: items, usage: reply.result.usage).bytes)
    }
}
