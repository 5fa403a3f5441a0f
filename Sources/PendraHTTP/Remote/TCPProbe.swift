import Foundation
import PendraEngine
#if canImport(Glibc)
import Glibc
#endif

/// Blocking TCP client sockets for the child-process machinery: a connect
/// with a deadline, used both to check an rpc-server before a child is
/// spawned (ggml's RPC client would abort the child without saying which
/// server failed, so the parent names it first) and to reach a child.
enum TCPProbe {
    /// A connected blocking socket, or the system's reason it is not.
    enum Outcome { case connected(Int32), failed(String) }

    static func connect(host: String, port: Int, timeout: Double) -> Outcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { return .failed(String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(list) }
        var reason = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { reason = String(cString: strerror(errno)); continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
                reason = String(cString: strerror(errno)); close(fd); continue
            }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&p, 1, Int32(max(1, timeout * 1000)))
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if ready <= 0 { reason = "no answer within \(timeout) s"; close(fd); continue }
            if err != 0 { reason = String(cString: strerror(err)); close(fd); continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return .connected(fd)
        }
        return .failed(reason)
    }

    /// Nil when something listens at `endpoint`, else why not. The socket is
    /// closed at once: an rpc-server serves one client at a time and reads
    /// a closed probe as a client that left.
    static func check(_ endpoint: RPCEndpoint, timeout: Double = 3) -> String? {
        switch connect(host: endpoint.host, port: endpoint.port, timeout: timeout) {
        case .connected(let fd): close(fd); return nil
        case .failed(let reason): return reason
        }
    }

    /// Sets how long one blocking read may wait.
    static func setReadTimeout(_ fd: Int32, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes everything; false if the peer is gone.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }
}
