import Foundation
import PendraEngine

/// POST /v1/messages (and /api/v1/messages): the Anthropic envelope over the
/// same engine call as chat completions.
struct MessagesRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let runner = GenerationRunner(app: app, ctx: ctx)
        let resolve = app.resolveModel
        guard let (req, started) = await runner.begin({ body throws(APIError) in try AnthropicRequest.parse(body, resolve: resolve) },
                                                      chat: \.chat) else { return }
        let format = AnthropicFormat(id: "msg_" + ChatCompletionsRoute.randomID(), model: req.requestedModel)
        if req.stream { return await stream(ctx, runner, started, req, format) }
        guard let reply = await runner.complete(started, model: req.chat.model) else { return }
        ctx.sendJSON(format.message(text: reply.text, calls: reply.calls, result: reply.result).bytes)
    }

    private func stream(_ ctx: RequestContext, _ runner: GenerationRunner, _ s: GenerationRunner.Started,
                        _ req: AnthropicRequest, _ format: AnthropicFormat) async {
        guard ctx.startStream(headers: ServerSentEvents.headers) else { return s.engine.cancel(s.stream.id) }
        let w = ctx.writer
        let prompt = s.prepared.tokens.count
        w.write(ServerSentEvents.event("message_start", format.start(promptTokens: prompt).serialized))
        w.write(ServerSentEvents.event("ping", #"{"type":"ping"}"#))
        var output = ChatOutput(s.prepared)
        // Blocks are numbered in the order they open; the text block opens
        // with the first text, so a reply that is only a tool call has none.
        var textOpen = false
        var nextIndex = 0
        let content = { (text: String) in
            guard !text.isEmpty else { return }
            if !textOpen {
                textOpen = true
                nextIndex = 1
                w.write(ServerSentEvents.event("content_block_start", JSON([
                    "type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]).serialized))
            }
            w.write(ServerSentEvents.event("content_block_delta", JSON([
                "type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": .string(text)]]).serialized))
        }
        let outcome = await runner.run(s, model: req.chat.model) { content(output.feed($0)) }
        content(output.finish())
        if outcome.timedOut || outcome.result.reason.isError {
            let error: APIError = outcome.timedOut ? .timeout("The model produced nothing for \(Int(app.options.chatTimeout)) s")
                : .workerError(outcome.result.reason.errorMessage ?? "generation failed")
            w.write(ServerSentEvents.event("error", error.body(family: .anthropic, requestId: ctx.requestId)))
        } else if case .cancelled = outcome.result.reason {
            // The client left.
        } else {
            if textOpen || output.calls.isEmpty {
                if !textOpen {  // an empty reply still has its (empty) text block
                    w.write(ServerSentEvents.event("content_block_start", JSON([
                        "type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]).serialized))
                    nextIndex = 1
                }
                w.write(ServerSentEvents.event("content_block_stop", #"{"type":"content_block_stop","index":0}"#))
            }
            // Tool calls follow the text block, each a block of its own.
            for call in output.calls {
                let index = JSON.int(nextIndex)
                nextIndex += 1
                w.write(ServerSentEvents.event("content_block_start", JSON([
                    "type": "content_block_start", "index": index,
                    "content_block": ["type": "tool_use", "id": .string(AnthropicFormat.toolID(call.id)),
                                      "name": .string(call.name), "input": [:]]]).serialized))
                w.write(ServerSentEvents.event("content_block_delta", JSON([
                    "type": "content_block_delta", "index": index,
                    "delta": ["type": "input_json_delta", "partial_json": .string(call.arguments)]]).serialized))
                w.write(ServerSentEvents.event("content_block_stop", JSON(["type": "content_block_stop", "index": index]).serialized))
            }
            var (reason, sequence) = AnthropicFormat.stopReason(outcome.result.reason)
            if !output.calls.isEmpty { (reason, sequence) = ("tool_use", nil) }
            w.write(ServerSentEvents.event("message_delta", JSON([
                "type": "message_delta",
                "delta": ["stop_reason": .string(reason), "stop_sequence": sequence.map { .string($0) } ?? .null],
                "usage": AnthropicFormat.usage(outcome.result.usage)]).serialized))
            w.write(ServerSentEvents.event("message_stop", #"{"type":"message_stop"}"#))
        }
        w.finish()
    }
}

/// POST /v1/messages/count_tokens: the same rendering as a real request.
struct CountTokensRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        do {
            let raw = ctx.request
            let req = try AnthropicRequest.parse(try await WorkQueue.run { () throws(APIError) in try RequestBody.parse(raw) },
                                                 resolve: app.resolveModel, countOnly: true)
            let engine: ChatEngine
            do { engine = try await app.store.chat(req.chat.model) } catch { throw APIError.from(error, family: .anthropic) }
            let prepared: PreparedChat
            let chat = req.chat
            prepared = try await WorkQueue.run { () throws(APIError) in
                do throws(EngineError) { return try engine.prepare(chat) } catch { throw APIError.from(error) }
            }
            ctx.sendJSON(JSON(["input_tokens": .int(prepared.tokens.count)]).bytes)
        } catch let e as APIError {
            ctx.fail(e)
        } catch {
            ctx.fail(.internal("\(error)"))
        }
    }
}

/// The JSON shapes the Anthropic SDK parses.
struct AnthropicFormat {
    let id: String
    let model: String

    static func stopReason(_ r: FinishReason) -> (String, String?) {
        switch r {
        case .endOfGeneration, .cancelled, .error: ("end_turn", nil)
        case .length: ("max_tokens", nil)
        case .stopSequence(let s): ("stop_sequence", s)
        }
    }

    /// Anthropic's accounting: input_tokens excludes what was read from cache.
    static func usage(_ u: Usage, includeOutputOnly: Bool = false) -> JSON {
        ["input_tokens": .int(u.promptTokens - u.reusedPromptTokens), "output_tokens": .int(u.completionTokens),
         "cache_read_input_tokens": .int(u.reusedPromptTokens), "cache_creation_input_tokens": 0]
    }

    /// Anthropic tool-use ids read `toolu_...`.
    static func toolID(_ id: String) -> String {
        id.hasPrefix("call_") ? "toolu_" + id.dropFirst(5) : id
    }

    func message(text: String, calls: [ChatToolCall], result: GenerationResult) -> JSON {
        var (reason, sequence) = Self.stopReason(result.reason)
        if !calls.isEmpty { (reason, sequence) = ("tool_use", nil) }
        var content: [JSON] = text.isEmpty ? [] : [["type": "text", "text": .string(text)]]
        for c in calls {
            let input = (try? JSON.parse(c.arguments)) ?? .object(JSONObject())
            content.append(["type": "tool_use", "id": .string(Self.toolID(c.id)), "name": .string(c.name), "input": input])
        }
        return ["id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
                "content": .array(content), "stop_reason": .string(reason),
                "stop_sequence": sequence.map { .string($0) } ?? .null, "usage": Self.usage(result.usage)]
    }

    /// message_start: reused tokens are not known until admission, so the
    /// start event counts the whole prompt as input; message_delta corrects it.
    func start(promptTokens: Int) -> JSON {
        ["type": "message_start",
         "message": ["id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
                     "content": [], "stop_reason": .null, "stop_sequence": .null,
                     "usage": ["input_tokens": .int(promptTokens), "output_tokens": 0,
                               "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0]]]
    }
}

extension FinishReason {
    var isError: Bool { if case .error = self { return true }; return false }
    var errorMessage: String? { if case .error(let m) = self { return m }; return nil }
}
