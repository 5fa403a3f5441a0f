/// An incremental HTTP/1.1 request parser (RFC 9112). Pure: bytes in,
/// events out, no I/O. Bytes after a complete request stay buffered for the
/// next call to `next()` (pipelining). After an error the parser stays failed.
struct HTTPParser {
    struct Limits: Sendable {
        var maxHeaderBytes = 64 * 1024
        var maxBodyBytes = 32 * 1024 * 1024
        var maxRequestLineBytes = 8 * 1024
    }

    enum Event {
        /// The head asked for `Expect: 100-continue` and its body has not
        /// arrived yet: the connection should send `100 Continue`.
        case continueExpected
        /// A complete request, body de-chunked.
        case request(HTTPRequest)
        /// Only with `reportsHeads`: a parsed head (empty body) before any of
        /// its body is read, so the caller can refuse it early. `bodyLength`
        /// is the declared length, nil for chunked bodies.
        case head(HTTPRequest, bodyLength: Int?)
    }

    enum Phase {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
        /// A head was reported (`reportsHeads`); its body starts on the next call.
        case screening
        case failed(HTTPParseError)
    }

    let limits: Limits
    var buffer: [UInt8] = []
    /// Index of the first unconsumed byte in `buffer`.
    var start = 0
    /// Head search state: where the search resumes, where the current line
    /// began, and where the request line ended (absolute indexes in `buffer`).
    var scan = 0
    var lineStart = 0
    var requestLineEnd: Int?
    var phase: Phase = .head
    var pending: HTTPRequest?
    /// Path of the request being read, once its request line parsed.
    var currentPath: String?
    var body: [UInt8] = []
    /// Report each head as `.head` before reading its body.
    var reportsHeads = false
    private var screened: Head?

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Unconsumed bytes held (partial or pipelined requests).
    var bufferedByteCount: Int { buffer.count - start }

    /// True when a request has started arriving but is not complete.
    var isMidRequest: Bool {
        if case .head = phase { return bufferedByteCount > 0 }
        return true
    }

    var isFailed: Bool {
        if case .failed = phase { return true }
        return false
    }

    mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or nil when more bytes are needed.
    mutating func next() throws(HTTPParseError) -> Event? {
        if case .failed(let error) = phase { throw error }
        do {
            let event = try step()
            compactIfNeeded()
            return event
        } catch {
            phase = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> Event? {
        while true {
            switch phase {
            case .failed(let error):
                throw error
            case .head:
                guard let head = try takeHead() else { return nil }
                if reportsHeads {
                    screened = head
                    phase = .screening
                    let length: Int? = switch head.framing {
                    case .none: 0
                    case .length(let n): n
                    case .chunked: nil
                    }
                    return .head(head.request, bodyLength: length)
                }
                if let event = try begin(head) { return event }
            case .screening:
                let head = screened!
                screened = nil
                if let event = try begin(head) { return event }
            case .body(let remaining):
                let n = min(remaining, bufferedByteCount)
                body.append(contentsOf: buffer[start..<start + n])
                start += n
                if n == remaining { return complete() }
                phase = .body(remaining: remaining - n)
                return nil
            case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
                switch try stepChunked() {
                case .needMore: return nil
                case .progressed: continue
                case .done: return complete()
                }
            }
        }
    }

    /// Sets up body reading for a parsed head; returns an event if one is due now.
    private mutating func begin(_ head: Head) throws(HTTPParseError) -> Event? {
        pending = head.request
        body = []
        switch head.framing {
        case .none:
            return complete()
        case .length(let n):
            phase = .body(remaining: n)
        case .chunked:
            phase = .chunkSize
        }
        if head.expectsContinue && bufferedByteCount == 0 { return .continueExpected }
        return nil
    }

    private mutating func complete() -> Event {
        var request = pending!
        request.body = body
        pending = nil
        body = []
        phase = .head
        scan = start
        lineStart = start
        requestLineEnd = nil
        return .request(request)
    }

    /// Drops consumed bytes once they dominate the buffer.
    private mutating func compactIfNeeded() {
        guard start > 0 else { return }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
        } else if start >= 64 * 1024 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
        } else {
            return
        }
        scan -= start
        lineStart -= start
        if let end = requestLineEnd { requestLineEnd = end - start }
        start = 0
    }
}
