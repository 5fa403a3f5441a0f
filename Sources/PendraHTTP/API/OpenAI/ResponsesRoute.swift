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
        if req.stream { return await stream(ctx, runner, started, format) }
        guard let reply = await runner.complete(started, model: req.chat.model) else { return }
        let status = ResponsesFormat.status(reply.result.reason)
        let items = format.outputItems(text: reply.text, calls: reply.calls, status: status)
        ctx.sendJSON(format.response(status: status, output: items, usage: reply.result.usage).bytes)
    }

    /// Every event is `event: <type>` + `data: {"type", "sequence_number", ...}`.
    /// Text streams as it is generated; tool calls are known once the output
    /// is complete, so their items follow the message.
    private func stream(_ ctx: RequestContext, _ runner: GenerationRunner, _ s: GenerationRunner.Started,
                        _ format: ResponsesFormat) async {
        guard ctx.startStream(headers: ServerSentEvents.headers) else { return s.engine.cancel(s.stream.id) }
        let events = EventWriter(writer: ctx.writer)
        events.send("response.created", ["response": format.response(status: "in_progress", output: [], usage: nil)])
        events.send("response.in_progress", ["response": format.response(status: "in_progress", output: [], usage: nil)])

        var output = ChatOutput(s.prepared)
        var text = ""
        var messageOpen = false
        let itemID = JSON.string(format.messageID)
        let openMessage = {
            messageOpen = true
            events.send("response.output_item.added", ["output_index": 0, "item": format.messageItem(text: "", status: "in_progress")])
            events.send("response.content_part.added", ["item_id": itemID, "output_index": 0, "content_index": 0,
                                                        "part": format.textPart("")])
        }
        let content = { (piece: String) in
            guard !piece.isEmpty else { return }
            if !messageOpen { openMessage() }
            text += piece
            events.send("response.output_text.delta", ["item_id": itemID, "output_index": 0, "content_index": 0,
                                                       "delta": .string(piece), "logprobs": []])
        }
        let outcome = await runner.run(s, model: format.model) { content(output.feed($0)) }
        content(output.finish())

        if outcome.timedOut || outcome.result.reason.isError {
            let message = outcome.timedOut ? "The model produced nothing for \(Int(app.options.chatTimeout)) s"
                : outcome.result.reason.errorMessage ?? "generation failed"
            let items = messageOpen ? [format.messageItem(text: text, status: "incomplete")] : []
            let error: JSON = ["code": outcome.timedOut ? "timeout" : "server_error", "message": .string(message)]
            events.send("response.failed", ["response": format.response(status: "failed", output: items,
                                                                        usage: outcome.result.usage, error: error)])
        } else if case .cancelled = outcome.result.reason {
            // The client left.
        } else {
            let status = ResponsesFormat.status(outcome.result.reason)
            var index = 0
            if messageOpen || output.calls.isEmpty {
                if !messageOpen { openMessage() }  // an empty reply still has its message
                events.send("response.output_text.done", ["item_id": itemID, "output_index": 0, "content_index": 0,
                                                          "text": .string(text), "logprobs": []])
                events.send("response.content_part.done", ["item_id": itemID, "output_index": 0, "content_index": 0,
                                                           "part": format.textPart(text)])
                events.send("response.output_item.done", ["output_index": 0, "item": format.messageItem(text: text, status: status)])
                index = 1
            }
            for call in output.calls {
                let id = JSON.string(ResponsesFormat.itemID(call))
                events.send("response.output_item.added", ["output_index": .int(index),
                                                           "item": format.callItem(call, status: "in_progress", arguments: "")])
                if format.request.customTools.contains(call.name) {
                    let input = ResponsesFormat.customInput(call.arguments)
                    events.send("response.custom_tool_call_input.delta", ["item_id": id, "output_index": .int(index), "delta": .string(input)])
                    events.send("response.custom_tool_call_input.done", ["item_id": id, "output_index": .int(index), "input": .string(input)])
                } else {
                    events.send("response.function_call_arguments.delta", ["item_id": id, "output_index": .int(index),
                                                                           "delta": .string(call.arguments)])
                    events.send("response.function_call_arguments.done", ["item_id": id, "output_index": .int(index),
                                                                          "name": .string(call.name), "arguments": .string(call.arguments)])
                }
                events.send("response.output_item.done", ["output_index": .int(index), "item": format.callItem(call, status: "completed")])
                index += 1
            }
            let items = format.outputItems(text: text, calls: output.calls, status: status)
            let final = status == "incomplete" ? "response.incomplete" : "response.completed"
            events.send(final, ["response": format.response(status: status, output: items, usage: outcome.result.usage)])
        }
        ctx.writer.finish()
    }

    /// Numbers the events in the order they are written.
    final class EventWriter {
        let writer: any HTTPResponseWriter
        private var sequence = 0

        init(writer: any HTTPResponseWriter) { self.writer = writer }

        func send(_ type: String, _ fields: JSONObject) {
            var o = JSONObject()
            o["type"] = .string(type)
            o["sequence_number"] = .int(sequence)
            for (k, v) in fields { o[k] = v }
            sequence += 1
            writer.write(ServerSentEvents.event(type, JSON.object(o).serialized))
        }
    }
}
