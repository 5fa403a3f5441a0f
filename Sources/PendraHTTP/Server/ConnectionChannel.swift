import Foundation

/// The part of a connection shared between the event loop and the threads
/// that run handlers: the bounded output queue and the progress of the
/// current response, behind one small lock. Writers append and wake the
/// loop; the loop drains, sends, and closes.
final class ConnectionChannel: @unchecked Sendable {
    enum Transition {
        case send(close: Bool)
        case startStream(close: Bool)
        case write
        case finish
    }

    enum Progress { case none, pending, streaming(close: Bool), finished }

    /// What the loop must apply to its state machine after a wake-up.
    struct Events {
        var started = false
        var completed: Bool?
        var dropped = false
    }

    let id: UInt64
    let maxOutputBytes: Int
    private let wake: @Sendable (ConnectionChannel) -> Void
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var queued = 0
    private var closed = false
    private var draining = false
    private var generation: UInt64 = 0
    private var progress: Progress = .none
    private var events = Events()
    private var closeHandlers: [@Sendable () -> Void] = []

    init(id: UInt64, maxOutputBytes: Int, wake: @escaping @Sendable (ConnectionChannel) -> Void) {
        self.id = id
        self.maxOutputBytes = maxOutputBytes
        self.wake = wake
    }

    var isClosed: Bool { lock.withLock { closed } }

    /// Set when the server is shutting down: responses then carry `Connection: close`.
    var isDraining: Bool { lock.withLock { draining } }
    func markDraining() { lock.withLock { draining = true } }

    /// Loop thread: a request is about to be handed to a handler.
    func beginRequest() -> UInt64 {
        lock.withLock {
            generation += 1
            progress = .pending
            closeHandlers = []
            return generation
        }
    }

    /// Any thread: queues response bytes for request `gen`. False if the
    /// connection is gone, the call is out of order, or the bound was hit
    /// (then the connection is dropped and its close handlers run).
    func enqueue(_ bytes: [UInt8], generation gen: UInt64, _ transition: Transition, bounded: Bool = false) -> Bool {
        var dropHandlers: [@Sendable () -> Void] = []
        var dropped = false
        let accepted: Bool = lock.withLock {
            guard !closed, gen == generation else { return false }
            switch (progress, transition) {
            case (.pending, .send(let close)):
                progress = .finished
                events.completed = close
                closeHandlers = []
            case (.pending, .startStream(let close)):
                progress = .streaming(close: close)
                events.started = true
            case (.streaming, .write):
                break
            case (.streaming(let close), .finish):
                progress = .finished
                events.completed = close
                closeHandlers = []
            default:
                return false
            }
            if bounded && queued + bytes.count > maxOutputBytes {
                closed = true
                events.dropped = true
                dropped = true
                dropHandlers = closeHandlers
                closeHandlers = []
                return false
            }
            pending.append(contentsOf: bytes)
            queued += bytes.count
            return true
        }
        Self.run(dropHandlers)
        if accepted || dropped { wake(self) }
        return accepted
    }

    /// Loop thread: bytes the transport itself answers with (100, errors).
    func enqueueRaw(_ bytes: [UInt8]) {
        lock.withLock {
            pending.append(contentsOf: bytes)
            queued += bytes.count
        }
    }

    /// The progress of response `gen`, for the handler-returned check.
    func progress(of gen: UInt64) -> Progress {
        lock.withLock { gen == generation ? progress : .finished }
    }

    func onClose(generation gen: UInt64, _ handler: @escaping @Sendable () -> Void) {
        let runNow: Bool = lock.withLock {
            guard gen == generation else { return false }
            if case .finished = progress { return false }
            if closed { return true }
            closeHandlers.append(handler)
            return false
        }
        if runNow { Self.run([handler]) }
    }

    /// Loop thread: takes everything queued so far.
    func takeOutput() -> [UInt8] {
        lock.withLock {
            let out = pending
            pending = []
            return out
        }
    }

    /// Loop thread: `n` bytes reached the socket.
    func didSend(_ n: Int) { lock.withLock { queued -= n } }

    func takeEvents() -> Events {
        lock.withLock {
            let e = events
            events = Events()
            return e
        }
    }

    /// Loop thread: the connection is closed; handlers of an unfinished response run.
    func markClosed() {
        let handlers: [@Sendable () -> Void] = lock.withLock {
            closed = true
            let h = closeHandlers
            closeHandlers = []
            return h
        }
        Self.run(handlers)
    }

    private static func run(_ handlers: [@Sendable () -> Void]) {
        guard !handlers.isEmpty else { return }
        DispatchQueue.global().async { for h in handlers { h() } }
    }
}
