// The values that cross between the transport (parser, connections, event
// loop) and the application (router, API handlers). Shared by both halves of
// PendraHTTP; keep them small and free of I/O.

/// Header fields in arrival order; lookups are case-insensitive (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (n, v) in elements { add(n, v) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field of that name with one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveEquals(name) }
    }

    /// The first value of a field, or nil.
    public subscript(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of a field, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

extension String {
    @inlinable
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            // ASCII case fold only: header names are tokens (RFC 9110 §5.1).
            let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
            let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
            if lx != ly { return false }
        }
        return true
    }
}

/// One parsed request, body complete (chunked bodies already de-chunked).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request-target as sent, e.g. `/v1/models?type=chat`.
    public var target: String
    /// The path part of the target, percent-decoding not applied.
    public var path: String
    /// Query parameters, percent-decoded; the first value wins for repeats.
    public var query: [String: String]
    public var version: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Peer address as text ("127.0.0.1:53412"), for logs only.
    public var remoteAddress: String

    public init(method: String, target: String, path: String, query: [String: String] = [:],
                version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], remoteAddress: String = "") {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }
}

/// A complete (non-streamed) response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How an application answers one request. Implemented by the transport; safe
/// to call from any thread. Writes never block: bytes go into the
/// connection's bounded output buffer, and a peer that stops reading past that
/// bound is dropped (its `onClose` handlers run, which cancel the generation).
public protocol HTTPResponseWriter: AnyObject, Sendable {
    /// Sends a whole response with Content-Length. Call once, instead of the streaming calls.
    func send(_ response: HTTPResponse)
    /// Starts a streamed response (chunked transfer encoding). Returns false if the peer is gone.
    @discardableResult func startStream(status: Int, headers: HTTPHeaders) -> Bool
    /// Writes one piece of a streamed response and flushes it. False if the peer is gone.
    @discardableResult func write(_ bytes: [UInt8]) -> Bool
    /// Ends a streamed response.
    func finish()
    /// True once the peer disconnected or was dropped.
    var isClosed: Bool { get }
    /// Runs `handler` once if the peer disconnects or is dropped before the
    /// response finished (immediately if that already happened).
    func onClose(_ handler: @escaping @Sendable () -> Void)
}

/// Called on the I/O thread with each request head (empty body) before the
/// body is read; a response refuses the request, nil lets it proceed. Must be
/// quick and must not block: it runs between reads of every connection.
public typealias HTTPHeadScreen = @Sendable (HTTPRequest) -> HTTPResponse?

/// The application side: called once per request, off the I/O thread.
public typealias HTTPHandler = @Sendable (HTTPRequest, any HTTPResponseWriter) async -> Void

public enum HTTPStatus {
    public static func reason(_ code: Int) -> String {
        switch code {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        case 529: "Overloaded"
        default: "Status \(code)"
        }
    }
}
