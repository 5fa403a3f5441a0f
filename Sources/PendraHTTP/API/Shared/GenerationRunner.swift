import Foundation
import PendraEngine

/// Runs one chat generation for an API handler, whatever the dialect:
/// resolves the engine, renders and submits, cancels when the client goes
/// away or the generation idles past the timeout, feeds text to the
/// dialect's formatter, and records metrics and usage.
struct GenerationRunner {
    let app: PendraApp
    let ctx: RequestContext

    struct Started {
        let engine: ChatEngine
        let prepared: PreparedChat
        let stream: GenerationStream
    }

    /// Everything that can fail before the first byte: answered as an HTTP
    /// status (clients retry a 503, not a 200 whose stream fails).
    func start(_ request: ChatRequest) async throws(APIError) -> Started {
        let engine: ChatEngine
        do { engine = try await app.store.chat(request.model) } catch { throw .from(error, family: ctx.family) }
        let (prepared, stream) = try await app.admit(ctx, engine: engine, request: request)
        let id = stream.id
        ctx.writer.onClose { engine.cancel(id) }
        return Started(engine: engine, prepared: prepared, stream: stream)
    }

    /// Parses the body with `parse` and starts its generation; nil when
    /// the request failed and its error was sent.
    func begin<R>(_ parse: (RequestBody) throws(APIError) -> R, chat: (R) -> ChatRequest) async -> (R, Started)? {
        do {
            let raw = ctx.request
            let request = try parse(try await WorkQueue.run { () throws(APIError) in try RequestBody.parse(raw) })
            return (request, try await start(chat(request)))
        } catch {
            ctx.fail(error)
            return nil
        }
    }

    /// A finished, non-streamed reply.
    struct Reply {
        var text: String
        var calls: [ChatToolCall]
        var result: GenerationResult
    }

    /// Runs a non-streaming generation to the end. nil when nothing is to be
    /// sent: a timeout or engine failure (its error was sent) or a client
    /// that left.
    func complete(_ s: Started, model: String) async -> Reply? {
        var text = ""
        var output = ChatOutput(s.prepared)
        let outcome = await run(s, model: model) { text += output.feed($0) }
        text += output.finish()
        if outcome.timedOut {
            ctx.fail(.timeout("The model produced nothing for \(Int(app.options.chatTimeout)) s; use stream: true for long generations"))
            return nil
        }
        if case .error(let m) = outcome.result.reason {
            ctx.fail(.workerError(m))
            return nil
        }
        if case .cancelled = outcome.result.reason, ctx.writer.isClosed { return nil }
        return Reply(text: text, calls: output.calls, result: outcome.result)
    }

    struct Outcome {
        var result: GenerationResult
        /// True when the generation produced nothing for the idle timeout.
        var timedOut: Bool
    }

    /// Consumes the events, calling `onText` for each piece of text.
    func run(_ s: Started, model: String, onText: (String) -> Void) async -> Outcome {
        let watchdog = IdleWatchdog(timeout: app.options.chatTimeout) { s.engine.cancel(s.stream.id) }
        defer { watchdog.stop() }
        let itl = app.metrics.interTokenLatency(model: model)
        var last: UInt64 = 0
        var result = GenerationResult(reason: .cancelled, usage: Usage(promptTokens: s.prepared.tokens.count), timings: Timings())
        for await event in s.stream {
            watchdog.touch()
            switch event {
            case .text(let t):
                let now = DispatchTime.now().uptimeNanoseconds
                if last != 0 { itl.observe(Double(now - last) / 1e9) }
                last = now
                onText(t)
            case .finished(let r):
                result = r
            }
        }
        if result.timings.timeToFirstToken > 0 {
            app.metrics.timeToFirstToken(model: model).observe(result.timings.timeToFirstToken)
        }
        app.account(ctx, model: model, usage: result.usage)
        return Outcome(result: result, timedOut: watchdog.fired)
    }
}

/// Fires once if `touch` is not called for `timeout` seconds.
final class IdleWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var lastTouch = DispatchTime.now().uptimeNanoseconds
    private var _fired = false
    private let timer: DispatchSourceTimer

    init(timeout: Double, onExpiry: @escaping @Sendable () -> Void) {
        timer = DispatchSource.makeTimerSource(queue: .global())
        let interval = max(0.05, min(1, timeout / 4))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let expired = self.lock.withLock { () -> Bool in
                guard !self._fired else { return false }
                let idle = Double(DispatchTime.now().uptimeNanoseconds - self.lastTouch) / 1e9
                if idle > timeout { self._fired = true; return true }
                return false
            }
            if expired { onExpiry() }
        }
        timer.resume()
    }

    func touch() { lock.withLock { lastTouch = DispatchTime.now().uptimeNanoseconds } }
    var fired: Bool { lock.withLock { _fired } }
    func stop() { timer.cancel() }
}
