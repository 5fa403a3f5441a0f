import Foundation

/// Wraps the transport's writer to remember what was answered (status,
/// streaming) for the access log and metrics, and to add the worker headers
/// on inference routes.
final class ObservedWriter: HTTPResponseWriter, @unchecked Sendable {
    private let inner: any HTTPResponseWriter
    private let lock = NSLock()
    private var _status = 0
    private var _clientClosed = false
    private let workerHeaders: HTTPHeaders

    init(_ inner: any HTTPResponseWriter, workerHeaders: HTTPHeaders) {
        self.inner = inner
        self.workerHeaders = workerHeaders
        inner.onClose { [weak self] in
            guard let self else { return }
            self.lock.withLock { self._clientClosed = true }
        }
    }

    var status: Int { lock.withLock { _status } }
    /// The peer went away before the response finished (a stop button).
    var clientClosed: Bool { lock.withLock { _clientClosed } }

    func send(_ response: HTTPResponse) {
        var r = response
        for (n, v) in workerHeaders where !r.headers.contains(n) { r.headers.add(n, v) }
        lock.withLock { _status = r.status }
        inner.send(r)
    }

    func startStream(status: Int, headers: HTTPHeaders) -> Bool {
        var h = headers
        for (n, v) in workerHeaders where !h.contains(n) { h.add(n, v) }
        lock.withLock { _status = status }
        return inner.startStream(status: status, headers: h)
    }

    func write(_ bytes: [UInt8]) -> Bool { inner.write(bytes) }
    func finish() { inner.finish() }
    var isClosed: Bool { inner.isClosed }
    func onClose(_ handler: @escaping @Sendable () -> Void) { inner.onClose(handler) }
}
