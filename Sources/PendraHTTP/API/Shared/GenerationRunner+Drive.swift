import Foundation
import PendraEngine

/// How a generation ended, decided in one place for every dialect.
enum GenerationOutcome: Equatable {
    case finished(GenerationResult)
    case failed(GenerationFailure)
    /// The client went away; nothing more is sent.
    case abandoned
}

/// The one stream driver: every chat generation, streamed or not, in every
/// dialect, runs through `drive`, which owns the idle timeout, the metrics,
/// the accounting and the outcome. Dialects only encode events.
extension GenerationRunner {
    /// A streamed reply: opens the stream, encodes each event as it comes,
    /// ends with the encoder's closing or failure frames.
    func stream<E: StreamEncoder>(_ s: Started, model: String, encoder: E) async {
        guard ctx.startStream(headers: ServerSentEvents.headers) else {
            s.engine.cancel(s.stream.id)
            return
        }
        var encoder = encoder
        let w = ctx.writer
        for f in encoder.open() { w.write(f.bytes) }
        let outcome = await drive(s, model: model, streaming: true) { event in
            for f in encoder.encode(event) { w.write(f.bytes) }
        }
        switch outcome {
        case .finished(let r): for f in encoder.close(r) { w.write(f.bytes) }
        case .failed(let failure): for f in encoder.fail(failure) { w.write(f.bytes) }
        case .abandoned: break
        }
        w.finish()
    }

    /// A non-streamed reply, gathered; nil when its error was sent instead
    /// (a timeout or engine failure) or the client left.
    func complete(_ s: Started, model: String) async -> ChatReply? {
        var reply = ChatReply()
        let outcome = await drive(s, model: model, streaming: false) { reply.add($0) }
        switch outcome {
        case .finished(let r):
            reply.result = r
            return reply
        case .failed(let failure):
            ctx.fail(failure.apiError)
            return nil
        case .abandoned:
            return nil
        }
    }

    /// Consumes the engine's events (text, reasoning, tool calls) and says
    /// how the generation ended. The `.finished` event itself is not passed on.
    func drive(_ s: Started, model: String, streaming: Bool, onEvent: (GenerationEvent) -> Void) async -> GenerationOutcome {
        let watchdog = IdleWatchdog(timeout: app.options.chatTimeout) { s.engine.cancel(s.stream.id) }
        defer { watchdog.stop() }
        let itl = app.metrics.interTokenLatency(model: model)
        var last: UInt64 = 0
        var result = GenerationResult(reason: .cancelled, usage: Usage(promptTokens: s.prepared.tokens.count), timings: Timings())
        for await event in s.stream {
            watchdog.touch()
            if case .finished(let r) = event {
                result = r
                continue
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if last != 0 { itl.observe(Double(now - last) / 1e9) }
            last = now
            onEvent(event)
        }
        if result.timings.timeToFirstToken > 0 {
            app.metrics.timeToFirstToken(model: model).observe(result.timings.timeToFirstToken)
        }
        app.account(ctx, model: model, usage: result.usage)
        return Self.outcome(result, timedOut: watchdog.fired, clientGone: ctx.writer.isClosed, streaming: streaming,
                            timeout: app.options.chatTimeout, requestId: ctx.requestId)
    }

    /// The outcome and its error text, for every dialect.
    static func outcome(_ result: GenerationResult, timedOut: Bool, clientGone: Bool, streaming: Bool,
                        timeout: Double, requestId: String) -> GenerationOutcome {
        if timedOut {
            var message = "The model produced nothing for \(Int(timeout)) s"
            if !streaming { message += "; use stream: true for long generations" }
            return .failed(GenerationFailure(kind: .timeout, message: message, requestId: requestId, usage: result.usage))
        }
        switch result.reason {
        case .error(let m):
            return .failed(GenerationFailure(kind: .worker, message: m, requestId: requestId, usage: result.usage))
        case .cancelled where clientGone || streaming:
            return .abandoned
        default:
            return .finished(result)
        }
    }
}
