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
        /// The number of this request's hand-out of the engine (ModelStore.unloadIfIdle).
        let handOut: UInt64
    }

    /// Everything that can fail before the first byte: answered as an HTTP
    /// status (clients retry a 503, not a 200 whose stream fails).
    func start(_ request: ChatRequest) async throws(APIError) -> Started {
        let engine: ChatEngine, handOut: UInt64
        do { (engine, handOut) = try await app.store.chatHandOut(request.model) } catch { throw .from(error, family: ctx.family) }
        let (prepared, stream) = try await app.admit(ctx, engine: engine, request: request)
        let id = stream.id
        ctx.writer.onClose { engine.cancel(id) }
        return Started(engine: engine, prepared: prepared, stream: stream, handOut: handOut)
    }

    /// Parses the body with `parse` and starts its generation; nil when
    /// the request failed and its error was sent.
    func begin<R>(_ parse: (RequestBody) throws(APIError) -> R, chat: (R) -> ChatRequest) async -> (R, Started)? {
        do {
            let raw = ctx.request
            let request = try parse(try await RequestBody.read(raw))
            return (request, try await start(chat(request)))
        } catch {
            ctx.fail(error)
            return nil
        }
    }
}

/// Fires once if `touch` is not called for `timeout` seconds. The timer
/// only calls `check`; the clock is injected so a test can move time by hand.
final class IdleWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private let timeoutNanos: UInt64
    private let clock: @Sendable () -> UInt64
    private let onExpiry: @Sendable () -> Void
    private var lastTouch: UInt64
    private var _fired = false
    private var timer: DispatchSourceTimer?

    /// `tick`: how often the timer checks; nil means no timer (the caller
    /// drives `check`, as the tests do).
    init(timeout: Double, clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
         tick: Double? = nil, startTimer: Bool = true, onExpiry: @escaping @Sendable () -> Void) {
        self.timeoutNanos = UInt64(timeout * 1e9)
        self.clock = clock
        self.onExpiry = onExpiry
        self.lastTouch = clock()
        guard startTimer else { return }
        let t = DispatchSource.makeTimerSource(queue: .global())
        let interval = tick ?? max(0.05, min(1, timeout / 4))
        t.schedule(deadline: .now() + interval, repeating: interval)
        t.setEventHandler { [weak self] in self?.check() }
        t.resume()
        timer = t
    }

    /// Fires `onExpiry` (once) when more than `timeout` has passed since the last touch.
    func check() {
        let expired = lock.withLock { () -> Bool in
            guard !_fired else { return false }
            let now = clock()
            if now > lastTouch, now - lastTouch > timeoutNanos { _fired = true; return true }
            return false
        }
        if expired { onExpiry() }
    }

    func touch() { lock.withLock { lastTouch = clock() } }
    var fired: Bool { lock.withLock { _fired } }
    func stop() { timer?.cancel() }
}
