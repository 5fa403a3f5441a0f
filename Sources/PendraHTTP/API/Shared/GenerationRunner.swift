import Foundation
import PendraEngine

/// Runs one chat generation for an API handler, whatever the dialect:
/// resolves the engine, renders and submits, and cancels when the client
/// goes away. Its events are driven to the end by `drive` (the stream
/// driver, in GenerationRunner+Drive.swift).
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
