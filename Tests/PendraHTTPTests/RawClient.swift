import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import PendraHTTP

/// A blocking test client on a raw TCP socket: writes exact bytes, reads
/// responses byte by byte, and notices when the server closes.
final class RawClient {
    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, receiveTimeout: Double = 5, receiveBufferBytes: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - floor(receiveTimeout)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let code = errno
            Glibc.close(fd)
            throw Failure(description: "connect: errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; false on close, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func line() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 10) {
                let end = lf > 0 && buffer[lf - 1] == 13 ? lf - 1 : lf
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(lf + 1)
                return text
            }
            guard fill() else { throw Failure(description: "connection ended inside a line") }
        }
    }

    private func take(_ n: Int) throws -> [UInt8] {
        while buffer.count < n {
            guard fill() else { throw Failure(description: "connection ended inside a body") }
        }
        let out = Array(buffer[0..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Status line and headers only.
    func readHead() throws -> (status: Int, headers: HTTPHeaders) {
        let statusLine = try line()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure(description: "bad status line: \(statusLine)")
        }
        var headers = HTTPHeaders()
        while true {
            let field = try line()
            if field.isEmpty { break }
            guard let colon = field.firstIndex(of: ":") else { throw Failure(description: "bad header: \(field)") }
            headers.add(String(field[..<colon]), field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, headers)
    }

    /// One response; `head: true` for replies to HEAD (no body whatever the headers say).
    func readResponse(head: Bool = false) throws -> Response {
        let (status, headers) = try readHead()
        if head || status == 100 || status == 204 || status == 304 {
            return Response(status: status, headers: headers, body: [])
        }
        if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            var body: [UInt8] = []
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw Failure(description: "bad chunk size \(sizeLine)")
                }
                if size == 0 { _ = try line(); break }
                body += try take(size)
                _ = try line()
            }
            return Response(status: status, headers: headers, body: body)
        }
        if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            return Response(status: status, headers: headers, body: try take(length))
        }
        while fill() {}
        defer { buffer = [] }
        return Response(status: status, headers: headers, body: buffer)
    }

    /// Reads one chunk of a chunked body; nil at the last chunk.
    func readChunk() throws -> [UInt8]? {
        let sizeLine = try line()
        guard let size = Int(sizeLine, radix: 16) else { throw Failure(description: "bad chunk size \(sizeLine)") }
        if size == 0 { _ = try line(); return nil }
        let data = try take(size)
        _ = try line()
        return data
    }

    /// True if the server closes the connection (EOF or reset) within `timeout`
    /// seconds; bytes that arrive first are discarded.
    func waitForClose(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&pfd, 1, ms) > 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { return true }
            if n < 0 && errno != EAGAIN && errno != EINTR { return true }
        }
        return false
    }
}

/// A thread-safe one-shot event the tests wait on.
final class TestSignal: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var fired = 0
    var count: Int { lock.withLock { fired } }
    func fire() {
        lock.withLock { fired += 1 }
        semaphore.signal()
    }
    func wait(timeout: Double) -> Bool { semaphore.wait(timeout: .now() + timeout) == .success }
}

/// A real server on 127.0.0.1, port 0, with the routes the socket tests use.
enum TestServer {
    static func start(_ configure: (inout HTTPServerConfig) -> Void = { _ in },
                      closed: TestSignal = TestSignal(), dropped: TestSignal = TestSignal()) throws -> HTTPServer {
        var config = HTTPServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        configure(&config)
        let server = HTTPServer(config: config) { request, writer in
            await route(request, writer, closed: closed, dropped: dropped)
        }
        try server.start()
        return server
    }

    static func route(_ request: HTTPRequest, _ writer: any HTTPResponseWriter, closed: TestSignal, dropped: TestSignal) async {
        switch request.path {
        case "/echo":
            var headers = HTTPHeaders()
            headers.add("X-Method", request.method)
            headers.add("X-Query-Q", request.query["q"] ?? "")
            writer.send(HTTPResponse(status: 200, headers: headers, body: request.body))
        case "/text":
            writer.send(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: Array("hello world".utf8)))
        case "/slow":
            let ms = UInt64(request.query["ms"] ?? "0") ?? 0
            try? await Task.sleep(nanoseconds: ms * 1_000_000)
            writer.send(HTTPResponse(status: 200, body: Array((request.query["id"] ?? "").utf8)))
        case "/stream":
            writer.onClose { closed.fire() }
            writer.startStream(status: 200, headers: ["Content-Type": "text/event-stream"])
            let n = Int(request.query["n"] ?? "3") ?? 3
            let delay = UInt64(request.query["delay"] ?? "0") ?? 0
            for i in 0..<n {
                if delay > 0 { try? await Task.sleep(nanoseconds: delay * 1_000_000) }
                guard writer.write(Array("data: \(i)\n\n".utf8)) else { return }
            }
            writer.finish()
        case "/forever":
            writer.onClose { closed.fire() }
            writer.startStream(status: 200, headers: ["Content-Type": "text/event-stream"])
            while !writer.isClosed {
                writer.write(Array("data: tick\n\n".utf8))
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
        case "/flood":
            writer.onClose { closed.fire() }
            writer.startStream(status: 200, headers: [:])
            let piece = [UInt8](repeating: 120, count: 64 * 1024)
            for _ in 0..<10_000 {
                if !writer.write(piece) { dropped.fire(); return }
                try? await Task.sleep(nanoseconds: 1_000_000)
            }
            writer.finish()
        default:
            writer.send(HTTPResponse(status: 404, body: Array("{\"detail\":\"not found\"}".utf8)))
        }
    }
}
