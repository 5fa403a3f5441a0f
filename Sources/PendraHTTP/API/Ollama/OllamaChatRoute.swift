import Foundation
import PendraEngine

/// POST /api/chat and /api/generate: parsed into the internal chat request,
/// run by the shared stream driver (GenerationRunner.drive / complete),
/// written as NDJSON by OllamaStreamEncoder.
struct OllamaChatRoute {
    let app: PendraApp

    func chat(_ ctx: RequestContext) async { await handle(ctx, .chat) }
    func generate(_ ctx: RequestContext) async { await handle(ctx, .generate) }

    private func handle(_ ctx: RequestContext, _ kind: OllamaRequest.Kind) async {
        let arrived = DispatchTime.now().uptimeNanoseconds
        let runner = GenerationRunner(app: app, ctx: ctx)
        let req: OllamaRequest
        let started: GenerationRunner.Started
        let load: UInt64
        do throws(APIError) {
            var r = try OllamaRequest.parse(try await RequestBody.read(ctx.request), kind: kind)
            let entry = try OllamaModels.entry(app, r.chat.model)
            guard entry.capability == .chat else {
                throw .badRequest("\"\(entry.id)\" does not support \(kind == .chat ? "chat" : "generate")", param: "model")
            }
            r.chat.model = entry.id
            req = r
            if !r.ignoredOptions.isEmpty {
                Log.info("request \(ctx.requestId): options \(r.ignoredOptions.sorted().joined(separator: ", ")) ignored (set per model in the config)")
            }
            let t = DispatchTime.now().uptimeNanoseconds
            let handOut: UInt64
            do { handOut = try await app.store.chatHandOut(entry.id).number } catch { throw APIError.from(error, family: .ollama) }
            load = DispatchTime.now().uptimeNanoseconds - t
            let encoder = OllamaStreamEncoder(kind: kind, model: entry.id)
            if r.loadOnly {
                let unload = r.keepAlive == 0
                if unload { app.store.unloadIfIdle(entry.id, lastHandOut: handOut) }
                let reply = encoder.loaded(reason: unload ? "unload" : "load")
                return r.stream ? ctx.send(HTTPResponse(status: 200, headers: OllamaStreamEncoder.headers, body: OllamaStreamEncoder.line(reply)))
                                : ctx.sendJSON(reply.bytes)
            }
            started = try await runner.start(r.chat)
        } catch {
            return ctx.fail(error)
        }
        let encoder = OllamaStreamEncoder(kind: kind, model: req.chat.model)
        let durations = { (result: GenerationResult) in
            OllamaDurations(result: result, load: load, total: DispatchTime.now().uptimeNanoseconds - arrived)
        }
        if req.stream {
            await stream(ctx, runner, started, req, encoder, durations)
        } else if let reply = await runner.complete(started, model: req.chat.model) {
            let body = encoder.reply(text: reply.text, thinking: reply.reasoning, calls: reply.calls,
                                     result: reply.result, durations(reply.result)).bytes
            if req.keepAlive == 0 { await unloadAfterReply(req.chat.model, started.handOut) }
            ctx.sendJSON(body)
        } else if req.keepAlive == 0 {
            await unloadAfterReply(req.chat.model, started.handOut)
        }
    }

    /// `keep_alive: 0`: unload before the reply ends, so a client that asks
    /// /api/ps next sees it gone. The engine publishes its idle state a step
    /// after the last token, hence the short wait; a model other requests
    /// are using, or were handed after this one, stays loaded.
    private func unloadAfterReply(_ id: String, _ handOut: UInt64) async {
        for _ in 0..<20 {
            if app.store.unloadIfIdle(id, lastHandOut: handOut) || !app.store.isLoaded(id) { return }
            try? await Task.sleep(nanoseconds: 25_000_000)
        }
    }

    private func stream(_ ctx: RequestContext, _ runner: GenerationRunner, _ s: GenerationRunner.Started,
                        _ req: OllamaRequest, _ encoder: OllamaStreamEncoder,
                        _ durations: (GenerationResult) -> OllamaDurations) async {
        guard ctx.startStream(headers: OllamaStreamEncoder.headers) else {
            s.engine.cancel(s.stream.id)
            return
        }
        let w = ctx.writer
        // Ollama sends each call whole, in one chunk before the last.
        var calls = ChatReply()
        let outcome = await runner.drive(s, model: req.chat.model, streaming: true) { event in
            switch event {
            case .text(let t): if let line = encoder.content(t) { w.write(line) }
            case .reasoning(let r): if let line = encoder.thinking(r) { w.write(line) }
            case .toolCall, .finished: calls.add(event)
            }
        }
        switch outcome {
        case .finished(let result):
            if let line = encoder.toolCalls(calls.calls) { w.write(line) }
            w.write(encoder.done(result, durations(result)))
        case .failed(let failure):
            w.write(encoder.error(failure.message))
        case .abandoned:
            break  // the client left; nothing more to say
        }
        if req.keepAlive == 0 { await unloadAfterReply(req.chat.model, s.handOut) }
        w.finish()
    }
}
