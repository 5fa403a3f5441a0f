import Foundation

/// Reads the HTTP/1.1 response a child process sends back, incrementally:
/// the head, then the body by Content-Length, chunked coding, or until the
/// connection closes. Pure (bytes in, events out) so the relay's framing is
/// unit-tested without sockets. The child is Pendra itself, but its answer is
/// still checked: a malformed one is a failed worker (502), never a crash.
struct UpstreamResponseParser {
    enum Event {
        case head(status: Int, headers: HTTPHeaders)
        case body([UInt8])
        case end
    }

    struct Malformed: Error, Equatable { let reason: String }

    private enum Phase { case head, length(Int), chunkSize, chunkData(Int), chunkDataEnd, trailers, untilClose, done }
    private var phase = Phase.head
    private var buffer: [UInt8] = []
    private var endSent = false
    static let maxHeadBytes = 64 * 1024

    /// True once the whole response was read.
    var isComplete: Bool { if case .done = phase { return true }; return false }
    /// True when the body runs until the peer closes (no framing).
    var endsAtClose: Bool { if case .untilClose = phase { return true }; return false }

    /// Feeds bytes read from the socket; returns what they completed.
    mutating func feed(_ bytes: [UInt8]) throws(Malformed) -> [Event] {
        buffer += bytes
        var events: [Event] = []
        while true {
            switch phase {
            case .head:
                guard let end = Self.find([13, 10, 13, 10], in: buffer) else {
                    if buffer.count > Self.maxHeadBytes { throw Malformed(reason: "response head too large") }
                    return events
                }
                let head = try Self.parseHead(Array(buffer[..<end]))
                buffer.removeFirst(end + 4)
                events.append(.head(status: head.status, headers: head.headers))
                if head.status == 204 || head.status == 304 || (100..<200).contains(head.status) {
                    phase = .done
                } else if head.headers["Transfer-Encoding"]?.lowercased().contains("chunked") == true {
                    phase = .chunkSize
                } else if let text = head.headers["Content-Length"] {
                    guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                        throw Malformed(reason: "bad Content-Length \(text)")
                    }
                    phase = n == 0 ? .done : .length(n)
                } else {
                    phase = .untilClose
                }
            case .length(let remaining):
                guard !buffer.isEmpty else { return events }
                let n = min(remaining, buffer.count)
                events.append(.body(Array(buffer[..<n])))
                buffer.removeFirst(n)
                phase = n == remaining ? .done : .length(remaining - n)
            case .chunkSize:
                guard let line = takeLine() else { return events }
                let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                    throw Malformed(reason: "bad chunk size \(line)")
                }
                phase = size == 0 ? .trailers : .chunkData(size)
            case .chunkData(let remaining):
                guard !buffer.isEmpty else { return events }
                let n = min(remaining, buffer.count)
                events.append(.body(Array(buffer[..<n])))
                buffer.removeFirst(n)
                phase = n == remaining ? .chunkDataEnd : .chunkData(remaining - n)
            case .chunkDataEnd:
                guard let line = takeLine() else { return events }
                guard line.isEmpty else { throw Malformed(reason: "missing CRLF after chunk data") }
                phase = .chunkSize
            case .trailers:
                guard let line = takeLine() else { return events }
                if line.isEmpty { phase = .done }
            case .untilClose:
                if !buffer.isEmpty { events.append(.body(buffer)); buffer = [] }
                return events
            case .done:
                if !endSent { events.append(.end); endSent = true }
                return events
            }
        }
    }

    /// The peer closed: the end of an unframed body, or a cut response.
    mutating func closed() throws(Malformed) -> [Event] {
        switch phase {
        case .untilClose: phase = .done; endSent = true; return [.end]
        case .done: return []
        case .head: throw Malformed(reason: buffer.isEmpty ? "closed before answering" : "closed inside the response head")
        default: throw Malformed(reason: "closed before the end of the body")
        }
    }

    private mutating func takeLine() -> String? {
        guard let end = Self.find([13, 10], in: buffer) else {
            return nil
        }
        let line = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 2)
        return line
    }

    private static func parseHead(_ bytes: [UInt8]) throws(Malformed) -> (status: Int, headers: HTTPHeaders) {
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines.first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...599).contains(status) else {
            throw Malformed(reason: "bad status line \(statusLine.prefix(80))")
        }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Malformed(reason: "bad header line") }
            headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, headers)
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        outer: for i in 0...(hay.count - needle.count) {
            for j in 0..<needle.count where hay[i + j] != needle[j] { continue outer }
            return i
        }
        return nil
    }
}
