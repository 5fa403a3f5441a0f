// Request line and header section (RFC 9112 §2-§6).
extension HTTPParser {
    enum Framing: Equatable { case none, length(Int), chunked }

    struct Head {
        var request: HTTPRequest
        var framing: Framing
        var expectsContinue: Bool
    }

    static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
    static let sp = UInt8(ascii: " "), htab = UInt8(ascii: "\t")

    /// Finds a complete head in the buffer and parses it; nil if incomplete.
    mutating func takeHead() throws(HTTPParseError) -> Head? {
        // Empty lines before the request line are ignored (RFC 9112 §2.2).
        if requestLineEnd == nil && scan == start {
            while start < buffer.count, buffer[start] == Self.cr || buffer[start] == Self.lf { start += 1 }
            scan = start
            lineStart = start
        }
        var i = scan
        while i < buffer.count {
            guard buffer[i] == Self.lf else { i += 1; continue }
            let lineLength = i - lineStart - (i > lineStart && buffer[i - 1] == Self.cr ? 1 : 0)
            if requestLineEnd == nil {
                if i - start > limits.maxRequestLineBytes { throw .uriTooLong }
                requestLineEnd = i
                // Remembered so an error before the head completes (431, 413 on
                // Content-Length) can be answered in the route family's envelope.
                let end = i > start && buffer[i - 1] == Self.cr ? i - 1 : i
                currentPath = (try? Self.parseRequestLine(buffer[start..<end]))?.path
            } else if lineLength == 0 {
                if i + 1 - start > limits.maxHeaderBytes { throw .headerFieldsTooLarge }
                let head = try parseHead(start..<i + 1)
                start = i + 1
                scan = start
                lineStart = start
                requestLineEnd = nil
                return head
            }
            i += 1
            lineStart = i
        }
        scan = i
        if requestLineEnd == nil && buffer.count - start > limits.maxRequestLineBytes { throw .uriTooLong }
        if buffer.count - start > limits.maxHeaderBytes { throw .headerFieldsTooLarge }
        return nil
    }

    /// Lines of the head without their terminators; bare CR is an error.
    private func lines(_ range: Range<Int>) throws(HTTPParseError) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var lineBegin = range.lowerBound
        for i in range where buffer[i] == Self.lf {
            var end = i
            if end > lineBegin && buffer[end - 1] == Self.cr { end -= 1 }
            let line = buffer[lineBegin..<end]
            if line.contains(Self.cr) { throw .badRequest("bare CR in header section") }
            result.append(line)
            lineBegin = i + 1
        }
        return result
    }

    private func parseHead(_ range: Range<Int>) throws(HTTPParseError) -> Head {
        let all = try lines(range)
        var request = try Self.parseRequestLine(all[0])
        var headers = HTTPHeaders()
        for line in all.dropFirst() where !line.isEmpty {
            let (name, value) = try Self.parseField(line)
            headers.add(name, value)
        }
        request.headers = headers
        let isHTTP11 = request.version == "HTTP/1.1"
        if isHTTP11 && headers.values("Host").count != 1 {
            throw .badRequest("HTTP/1.1 requests need exactly one Host header")
        }
        let framing = try Self.framing(headers, limits: limits)
        let expects = isHTTP11 && framing != .none && framing != .length(0)
            && headers["Expect"].map { $0.lowercased() == "100-continue" } == true
        return Head(request: request, framing: framing, expectsContinue: expects)
    }

    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequest {
        let parts = line.split(separator: sp, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .badRequest("malformed request line")
        }
        guard parts[0].allSatisfy(isTokenByte) else { throw .badRequest("invalid method") }
        let version = String(decoding: parts[2], as: UTF8.self)
        if version != "HTTP/1.1" && version != "HTTP/1.0" {
            let v = Array(parts[2])
            let shaped = v.count == 8 && v.starts(with: Array("HTTP/".utf8))
                && (48...57).contains(v[5]) && v[6] == UInt8(ascii: ".") && (48...57).contains(v[7])
            throw shaped ? .versionNotSupported(version) : .badRequest("invalid HTTP version")
        }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw .badRequest("invalid characters in request target")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let origin = try originForm(target, method: method)
        let path: Substring, query: [String: String]
        if let q = origin.firstIndex(of: "?") {
            path = origin[..<q]
            query = HTTPQuery.parse(origin[origin.index(after: q)...])
        } else {
            path = origin
            query = [:]
        }
        return HTTPRequest(method: method, target: target, path: String(path), query: query, version: version)
    }

    /// Origin-form as is; absolute-form (http/https) reduced to its path and
    /// query (RFC 9112 §3.2.2); asterisk-form only for OPTIONS.
    static func originForm(_ target: String, method: String) throws(HTTPParseError) -> Substring {
        if target.hasPrefix("/") { return Substring(target) }
        if target == "*" {
            guard method == "OPTIONS" else { throw .badRequest("asterisk-form target is only valid for OPTIONS") }
            return Substring(target)
        }
        let lower = target.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            guard let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            guard authorityEnd > rest.startIndex else { throw .badRequest("absolute-form target without host") }
            let tail = rest[authorityEnd...]
            return tail.hasPrefix("?") ? Substring("/" + tail) : tail
        }
        throw .badRequest("request target must be an absolute path")
    }

    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String) {
        if line.first == sp || line.first == htab { throw .badRequest("obsolete line folding") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .badRequest("header line without colon") }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw .badRequest("invalid header field name")
        }
        var value = line[(colon + 1)...]
        while let f = value.first, f == sp || f == htab { value = value.dropFirst() }
        while let l = value.last, l == sp || l == htab { value = value.dropLast() }
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == htab }) else {
            throw .badRequest("invalid characters in header field value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Message body framing from Content-Length / Transfer-Encoding (RFC 9112 §6).
    static func framing(_ headers: HTTPHeaders, limits: Limits) throws(HTTPParseError) -> Framing {
        let te = headers.values("Transfer-Encoding"), cl = headers.values("Content-Length")
        if !te.isEmpty {
            if !cl.isEmpty { throw .badRequest("both Content-Length and Transfer-Encoding") }
            let codings = te.flatMap { $0.split(separator: ",") }
                .map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
            guard codings.last == "chunked" else {
                if codings.allSatisfy({ ["gzip", "x-gzip", "deflate", "compress", "identity", "chunked"].contains($0) }) {
                    throw .badRequest("chunked must be the final transfer coding")
                }
                throw .notImplemented("transfer coding \(codings.last ?? "")")
            }
            guard codings.count == 1 else { throw .notImplemented("transfer codings \(codings.joined(separator: ", "))") }
            return .chunked
        }
        guard !cl.isEmpty else { return .none }
        var length: Int?
        for item in cl.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let digits = item.trimmingSpaces()
            guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }) else {
                throw .badRequest("invalid Content-Length")
            }
            guard digits.utf8.count <= 18, let n = Int(digits) else { throw .contentTooLarge }
            if let previous = length, previous != n { throw .badRequest("conflicting Content-Length values") }
            length = n
        }
        let n = length!
        if n > limits.maxBodyBytes { throw .contentTooLarge }
        return .length(n)
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: true
        default: false
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
