import Foundation
import PendraEngine

/// POST /v1/chat/completions (and /api/v1/...).
struct ChatCompletionsRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let runner = GenerationRunner(app: app, ctx: ctx)
        let resolve = app.resolveModel
        guard let (req, started) = await runner.begin({ body throws(APIError) in try OpenAIChatRequest.parse(body, resolve: resolve) },
                                                      chat: \.chat) else { return }
        let format = OpenAIChatFormat(id: "chatcmpl-" + Self.randomID(), created: Int(Date().timeIntervalSince1970),
                                      model: req.chat.model)
        if req.stream { return await stream(ctx, runner, started, req, format) }
        guard let reply = await runner.complete(started, model: req.chat.model) else { return }
        ctx.sendJSON(format.completion(text: reply.text, calls: reply.calls, result: reply.result).bytes)
    }

    private func stream(_ ctx: RequestContext, _ runner: GenerationRunner, _ s: GenerationRunner.Started,
                        _ req: OpenAIChatRequest, _ format: OpenAIChatFormat) async {
        guard ctx.startStream(headers: ServerSentEvents.headers) else {
            s.engine.cancel(s.stream.id)
            return
        }
        let w = ctx.writer
        w.write(ServerSentEvents.data(format.chunk(delta: ["role": "assistant", "content": ""], finish: nil, usageNull: req.includeUsage)))
        var output = ChatOutput(s.prepared)
        let content = { (text: String) in
            guard !text.isEmpty else { return }
            w.write(ServerSentEvents.data(format.chunk(delta: ["content": .string(text)], finish: nil, usageNull: req.includeUsage)))
        }
        let outcome = await runner.run(s, model: req.chat.model) { content(output.feed($0)) }
        content(output.finish())
        if outcome.timedOut {
            w.write(ServerSentEvents.data(APIError.timeout("The model produced nothing for \(Int(app.options.chatTimeout)) s").body(family: .openai, requestId: ctx.requestId)))
        } else if case .error(let m) = outcome.result.reason {
            w.write(ServerSentEvents.data(APIError.workerError(m).body(family: .openai, requestId: ctx.requestId)))
        } else if case .cancelled = outcome.result.reason {
            // The client left; nothing more to say.
        } else {
            // Each call: a first delta with id, type and name, then its arguments.
            for (i, call) in output.calls.enumerated() {
                let head: JSON = ["index": .int(i), "id": .string(call.id), "type": "function",
                                  "function": ["name": .string(call.name), "arguments": ""]]
                w.write(ServerSentEvents.data(format.chunk(delta: ["tool_calls": [head]], finish: nil, usageNull: req.includeUsage)))
                let args: JSON = ["index": .int(i), "function": ["arguments": .string(call.arguments)]]
                w.write(ServerSentEvents.data(format.chunk(delta: ["tool_calls": [args]], finish: nil, usageNull: req.includeUsage)))
            }
            let finish = output.calls.isEmpty ? OpenAIChatFormat.finishReason(outcome.result.reason) : "tool_calls"
            w.write(ServerSentEvents.data(format.chunk(delta: [:], finish: finish, usageNull: req.includeUsage)))
            if req.includeUsage {
                w.write(ServerSentEvents.data(format.usageChunk(outcome.result.usage)))
            }
        }
        w.write(ServerSentEvents.done)
        w.finish()
    }

    static func randomID() -> String {
        (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

/// The JSON shapes the OpenAI SDK parses for chat completions.
struct OpenAIChatFormat {
    let id: String
    let created: Int
    let model: String

    static func finishReason(_ r: FinishReason) -> String {
        switch r {
        case .endOfGeneration, .stopSequence, .cancelled, .error: "stop"
        case .length: "length"
        }
    }

    static func usage(_ u: Usage) -> JSON {
        ["prompt_tokens": .int(u.promptTokens), "completion_tokens": .int(u.completionTokens),
         "total_tokens": .int(u.promptTokens + u.completionTokens),
         "prompt_tokens_details": ["cached_tokens": .int(u.reusedPromptTokens)]]
    }

    func completion(text: String, calls: [ChatToolCall], result: GenerationResult) -> JSON {
        var message: JSONObject = ["role": "assistant", "content": calls.isEmpty || !text.isEmpty ? .string(text) : .null,
                                   "refusal": .null]
        if !calls.isEmpty {
            message["tool_calls"] = .array(calls.map {
                ["id": .string($0.id), "type": "function", "function": ["name": .string($0.name), "arguments": .string($0.arguments)]]
            })
        }
        let finish = calls.isEmpty ? Self.finishReason(result.reason) : "tool_calls"
        let choice: JSON = ["index": 0, "message": .object(message), "logprobs": nil, "finish_reason": .string(finish)]
        return ["id": .string(id), "object": "chat.completion", "created": .int(created), "model": .string(model),
                "system_fingerprint": nil, "choices": [choice], "usage": Self.usage(result.usage)]
    }

    /// One `chat.completion.chunk`; serialized directly (one per token).
    func chunk(delta: JSONObject, finish: String?, usageNull: Bool) -> String {
        var c = JSONObject()
        c["index"] = 0
        c["delta"] = .object(delta)
        c["logprobs"] = .null
        c["finish_reason"] = finish.map { .string($0) } ?? .null
        var o = JSONObject()
        o["id"] = .string(id)
        o["object"] = "chat.completion.chunk"
        o["created"] = .int(created)
        o["model"] = .string(model)
        o["system_fingerprint"] = .null
        o["choices"] = [.object(c)]
        if usageNull { o["usage"] = .null }
        return JSON.object(o).serialized
    }

    /// The final chunk with empty choices and the usage (stream_options.include_usage).
    func usageChunk(_ u: Usage) -> String {
        JSON(["id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
              "system_fingerprint": nil, "choices": [], "usage": Self.usage(u)]).serialized
    }
}

