import Foundation
import PendraEngine
#if canImport(Glibc)
import Glibc
#endif

/// Forwards one request for a child-process model to its child and relays
/// the answer: whole responses as they are, streams event by event. When
/// the child dies (its rpc-server went away) the client gets a 502 in its
/// route's envelope, or, once a stream started, the dialect's error event.
/// Runs on a thread of its own: the socket reads block.
struct ChildRelay {
    let model: String
    let port: Int
    let secret: String
    let timeout: Double
    let ctx: RequestContext

    /// Request headers the child must not see: hop-by-hop ones, the
    /// client's credentials (the child takes only the parent's key), and
    /// the browser headers this process already checked.
    static let droppedRequestHeaders: Set<String> = [
        "host", "connection", "keep-alive", "transfer-encoding", "content-length", "expect", "te", "upgrade",
        "authorization", "x-api-key", "origin", "referer", "proxy-authorization", "proxy-connection",
    ]
    /// Response headers this process sets itself.
    static let droppedResponseHeaders: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "x-worker-id", "x-worker-name",
    ]

    func requestBytes() -> [UInt8] {
        let r = ctx.request
        var head = "\(r.method) \(r.target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in r.headers where !Self.droppedRequestHeaders.contains(name.lowercased())
            && !name.lowercased().hasPrefix("sec-") && name.lowercased() != RequestID.header.lowercased() {
            head += "\(name): \(value)\r\n"
        }
        head += "Authorization: Bearer \(secret)\r\n\(RequestID.header): \(ctx.requestId)\r\n"
        head += "Content-Length: \(r.body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + r.body
    }

    /// Blocking: runs until the response is relayed or failed.
    func run() {
        let fd: Int32
        switch TCPProbe.connect(host: "127.0.0.1", port: port, timeout: 5) {
        case .connected(let s): fd = s
        case .failed(let why): return ctx.fail(.workerError("The model '\(model)' is not answering (its process: \(why)); retry"))
        }
        let closer = SocketCloser(fd)
        defer { closer.close() }
        // The client leaving closes the child's connection, which cancels
        // the generation there and frees its KV cells.
        ctx.writer.onClose { closer.shutdown() }
        guard TCPProbe.writeAll(fd, requestBytes()) else {
            return ctx.fail(.workerError("The model '\(model)' process closed the connection; retry"))
        }
        // A whole (non-streamed) answer comes only at the end of its
        // generation, however long: until a stream starts, wait an hour.
        TCPProbe.setReadTimeout(fd, seconds: 3600)
        var state = Progress()
        var parser = UpstreamResponseParser()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            let events: [UpstreamResponseParser.Event]
            do throws(UpstreamResponseParser.Malformed) {
                if n > 0 {
                    events = try parser.feed(Array(buffer[0..<n]))
                } else if n == 0 {
                    events = try parser.closed()
                } else if errno == EAGAIN || errno == EWOULDBLOCK {
                    let waited = state.stream == nil ? 3600 : Int(timeout)
                    return fail(&state, .timeout("The model '\(model)' sent nothing for \(waited) s"))
                } else {
                    throw UpstreamResponseParser.Malformed(reason: String(cString: strerror(errno)))
                }
            } catch {
                if ctx.writer.isClosed { return }
                return fail(&state, .workerError("The model '\(model)' failed mid-request: its process ended (\(error.reason)); retry, Pendra restarts it"))
            }
            for e in events {
                guard apply(e, &state, fd: fd) else { return }
            }
            if parser.isComplete { return }
        }
    }

    private struct Progress {
        var status = 0
        var headers = HTTPHeaders()
        var stream: RelayStream?
        var body: [UInt8] = []
    }

    /// False once the client is gone.
    private func apply(_ e: UpstreamResponseParser.Event, _ p: inout Progress, fd: Int32) -> Bool {
        switch e {
        case .head(let status, let headers):
            p.status = status
            for (n, v) in headers where !Self.droppedResponseHeaders.contains(n.lowercased()) { p.headers.add(n, v) }
            if headers["Transfer-Encoding"]?.lowercased().contains("chunked") == true {
                p.stream = RelayStream(contentType: headers["Content-Type"])
                // Events come at least every chat timeout (the child ends an idle
                // stream itself); silence beyond that is a wedged child.
                TCPProbe.setReadTimeout(fd, seconds: timeout)
                return ctx.startStream(status: status, headers: p.headers)
            }
        case .body(let bytes):
            guard var s = p.stream else { p.body += bytes; return true }
            let whole = s.take(bytes)
            p.stream = s
            if !whole.isEmpty { return ctx.writer.write(whole) }
        case .end:
            if var s = p.stream {
                let rest = s.flush()
                if !rest.isEmpty { ctx.writer.write(rest) }
                ctx.writer.finish()
            } else {
                ctx.send(HTTPResponse(status: p.status, headers: p.headers, body: p.body))
            }
        }
        return true
    }

    private func fail(_ p: inout Progress, _ error: APIError) {
        guard p.stream != nil else { return ctx.fail(error) }
        let path = RoutePattern.normalize(ctx.request.path)
        ctx.writer.write(RelayStream.failureFrames(family: ctx.family, path: path, error: error, requestId: ctx.requestId))
        ctx.writer.finish()
    }
}

/// Closes a socket once, and lets another thread unblock its reader.
final class SocketCloser: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    func shutdown() { lock.withLock { if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) } } }
    func close() { lock.withLock { if fd >= 0 { _ = Glibc.close(fd); fd = -1 } } }
}
