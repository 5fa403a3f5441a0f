import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on one epoll event-loop thread. Each complete request
/// runs `handler` in a `Task`; the writer it gets is safe to use from any
/// thread and never blocks.
public final class HTTPServer: @unchecked Sendable {
    private let config: HTTPServerConfig
    private let handler: HTTPHandler
    private let screen: HTTPHeadScreen?
    private let clock: @Sendable () -> Double
    private let lock = NSLock()
    private var loop: EventLoop?
    private var port = 0
    private var stopped = false
    /// Set by `bind()` when the port is needed before the loop starts.
    private var boundFD: Int32 = -1

    /// `screen`, when given, sees every request head on the I/O thread before
    /// its body is read; a response it returns is sent and the connection
    /// closed with the body unread (authentication, routing, origin checks).
    public init(config: HTTPServerConfig, screen: HTTPHeadScreen? = nil, handler: @escaping HTTPHandler) {
        self.config = config
        self.handler = handler
        self.screen = screen
        self.clock = { SocketSupport.monotonicNow() }
    }

    /// Binds and listens without serving yet (connections wait in the
    /// backlog), so the port is known before the handler's app is made (the
    /// worker id derives from it). Returns the port bound.
    @discardableResult
    public func bind() throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        guard loop == nil, !stopped, boundFD < 0 else { throw HTTPServerError.alreadyStarted }
        signal(SIGPIPE, SIG_IGN)
        SocketSupport.raiseFileLimit()
        let (fd, bound) = try SocketSupport.listen(host: config.host, port: config.port)
        boundFD = fd
        port = bound
        return bound
    }

    /// Binds (unless `bind()` did), listens and starts the loop thread.
    /// Throws `HTTPServerError` (with the errno text, e.g. "Address already in use").
    public func start() throws {
        if lock.withLock({ boundFD < 0 }) { try bind() }
        lock.lock()
        defer { lock.unlock() }
        guard loop == nil, !stopped else { throw HTTPServerError.alreadyStarted }
        let fd = boundFD, bound = port
        boundFD = -1
        let loop: EventLoop
        do {
            loop = try EventLoop(config: config, listenFD: fd, screen: screen, handler: handler, clock: clock)
        } catch {
            close(fd)
            throw error
        }
        self.loop = loop
        port = bound
        loop.start()
    }

    /// The port actually bound (useful with `port = 0`); 0 before `start()`.
    public var boundPort: Int { lock.withLock { port } }

    public var activeConnections: Int { lock.withLock { loop }?.activeConnections ?? 0 }

    /// Stops accepting, lets in-flight requests finish for up to
    /// `gracePeriod` seconds, then closes what is left (their `onClose`
    /// handlers run). Returns when the loop thread has ended.
    public func shutdown(gracePeriod: Double) {
        let loop: EventLoop? = lock.withLock {
            defer { self.loop = nil; stopped = true }
            return self.loop
        }
        loop?.stop(deadline: clock() + max(0, gracePeriod))
    }
}
