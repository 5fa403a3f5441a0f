/// Serialises response heads, chunks and the transport's own JSON errors.
enum HTTPResponseEncoder {
    static func head(status: Int, headers: HTTPHeaders) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n"
        for (name, value) in headers {
            text += name
            text += ": "
            text += value
            text += "\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// One chunk of a chunked body; never call with empty bytes (that is the last chunk).
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(String(bytes.count, radix: 16).utf8)
        out.reserveCapacity(out.count + bytes.count + 4)
        out.append(13); out.append(10)
        out.append(contentsOf: bytes)
        out.append(13); out.append(10)
        return out
    }

    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Statuses that never carry a body (RFC 9110 §6.4.1).
    static func allowsBody(_ status: Int) -> Bool {
        !(100..<200).contains(status) && status != 204 && status != 304
    }

    /// A complete JSON error with a request id; the connection is closed
    /// after it. When the request's path is known (the head was parsed, e.g.
    /// a body over the limit) the envelope is that route family's, so an
    /// Anthropic client gets `request_too_large` and an OpenAI client its
    /// `error` object; otherwise Pendra's `{"detail": "..."}`.
    static func error(status: Int, detail: String, path: String? = nil, close: Bool = true, isHead: Bool = false) -> [UInt8] {
        let requestId = requestID()
        let family = path.map(APIFamily.forPath) ?? .pendra
        let body = Array(APIError(status: status, message: detail).body(family: family, requestId: requestId).utf8)
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Content-Length", String(body.count))
        headers.add("X-Request-Id", requestId)
        if close { headers.add("Connection", "close") }
        return head(status: status, headers: headers) + (isHead ? [] : body)
    }

    /// `req_` and 24 random hex digits.
    static func requestID() -> String {
        var rng = SystemRandomNumberGenerator()
        let a = rng.next() as UInt64, b = rng.next() as UInt32
        return "req_" + hex(a, digits: 16) + hex(UInt64(b), digits: 8)
    }

    private static func hex(_ v: UInt64, digits: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
