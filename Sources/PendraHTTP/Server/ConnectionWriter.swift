/// The `HTTPResponseWriter` handed to a handler for one request. Thread-safe:
/// it encodes bytes on the caller's thread and queues them on the
/// connection's channel, which wakes the event loop.
final class ConnectionWriter: HTTPResponseWriter, @unchecked Sendable {
    let channel: ConnectionChannel
    let generation: UInt64
    let isHead: Bool
    let isHTTP10: Bool
    /// False when the request (or shutdown) asked to close after this response.
    let keepAlive: Bool

    init(channel: ConnectionChannel, generation: UInt64, request: HTTPRequest, keepAlive: Bool) {
        self.channel = channel
        self.generation = generation
        self.isHead = request.method == "HEAD"
        self.isHTTP10 = request.version == "HTTP/1.0"
        self.keepAlive = keepAlive
    }

    func send(_ response: HTTPResponse) {
        let close = closesAfter(response.headers)
        var headers = cleaned(response.headers, close: close)
        let bodyAllowed = HTTPResponseEncoder.allowsBody(response.status)
        if bodyAllowed { headers.add("Content-Length", String(response.body.count)) }
        var bytes = HTTPResponseEncoder.head(status: response.status, headers: headers)
        if bodyAllowed && !isHead { bytes += response.body }
        _ = channel.enqueue(bytes, generation: generation, .send(close: close))
    }

    @discardableResult
    func startStream(status: Int, headers: HTTPHeaders) -> Bool {
        // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
        let close = closesAfter(headers) || isHTTP10
        var h = cleaned(headers, close: close)
        if !isHTTP10 && HTTPResponseEncoder.allowsBody(status) { h.add("Transfer-Encoding", "chunked") }
        let bytes = HTTPResponseEncoder.head(status: status, headers: h)
        return channel.enqueue(bytes, generation: generation, .startStream(close: close))
    }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        if isHead || bytes.isEmpty { return !channel.isClosed }
        let framed = isHTTP10 ? bytes : HTTPResponseEncoder.chunk(bytes)
        return channel.enqueue(framed, generation: generation, .write, bounded: true)
    }

    func finish() {
        let tail = isHead || isHTTP10 ? [] : HTTPResponseEncoder.lastChunk
        _ = channel.enqueue(tail, generation: generation, .finish)
    }

    var isClosed: Bool { channel.isClosed }

    func onClose(_ handler: @escaping @Sendable () -> Void) {
        channel.onClose(generation: generation, handler)
    }

    /// Called when the handler returned: completes what it left open, so a
    /// connection never hangs on a forgotten response.
    func handlerReturned() {
        switch channel.progress(of: generation) {
        case .pending:
            let close = !keepAlive || channel.isDraining
            let bytes = HTTPResponseEncoder.error(status: 500, detail: "The handler sent no response", close: close, isHead: isHead)
            _ = channel.enqueue(bytes, generation: generation, .send(close: close))
        case .streaming:
            finish()
        case .none, .finished:
            break
        }
    }

    private func closesAfter(_ headers: HTTPHeaders) -> Bool {
        !keepAlive || channel.isDraining || headers.values("Connection").contains { $0.lowercased().contains("close") }
    }

    private func cleaned(_ headers: HTTPHeaders, close: Bool) -> HTTPHeaders {
        var h = headers
        h.remove("Content-Length")
        h.remove("Transfer-Encoding")
        h.remove("Connection")
        if close {
            h.add("Connection", "close")
        } else if isHTTP10 {
            h.add("Connection", "keep-alive")
        }
        return h
    }
}
