/// What keeps web pages from driving the server through a visitor's
/// browser. Two attacks matter for a local model server:
/// - DNS rebinding: a page on `attacker.example` re-points its name at
///   127.0.0.1 and talks to the server as its own origin. The `Host` header
///   still says `attacker.example`, so only loopback names and addresses (and
///   hosts the operator lists) are served.
/// - Cross-site requests: a page fires `fetch(..., {mode: "no-cors"})` with
///   a text/plain body, which browsers send without a preflight. Requests
///   carrying a foreign `Origin` may not change state or run inference, and
///   POST bodies must be `application/json` (which forces a preflight).
/// Origins in `corsOrigins` are let in on purpose, with CORS headers.
public struct BrowserGuard: Sendable {
    /// Extra `Host` values served ("gpu-box.lan", "10.0.0.5:8080"); "*" any.
    public var allowedHosts: Set<String>
    /// Origins allowed cross-origin ("http://localhost:3000"); "*" any.
    public var corsOrigins: Set<String>

    public init(allowedHosts: [String] = [], corsOrigins: [String] = []) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.corsOrigins = Set(corsOrigins.map { Self.trimSlash($0.lowercased()) })
    }

    public enum OriginVerdict: Equatable, Sendable {
        /// No `Origin` (curl, SDKs) or the page came from this server itself.
        case absent
        /// A listed origin: answer with CORS headers naming it.
        case allowed(String)
        case refused(String)
    }

    /// True when `host` (the `Host` header, nil when absent) may be served.
    public func hostAllowed(_ host: String?) -> Bool {
        // Browsers always send Host; its absence (HTTP/1.0 tools) is no rebinding.
        guard let host else { return true }
        let h = host.lowercased()
        if allowedHosts.contains("*") || allowedHosts.contains(h) { return true }
        let name = Self.hostName(h)
        return Self.isLoopback(name) || allowedHosts.contains(name)
    }

    public func origin(_ headers: HTTPHeaders) -> OriginVerdict {
        guard let raw = headers["Origin"] else { return .absent }
        let o = Self.trimSlash(raw.lowercased())
        if corsOrigins.contains("*") || corsOrigins.contains(o) { return .allowed(raw) }
        // Same origin: only reachable for a Host that passed `hostAllowed`.
        if let host = headers["Host"]?.lowercased(), o == "http://" + host || o == "https://" + host { return .absent }
        return .refused(raw)
    }

    /// Methods that may change state: a foreign origin is refused on them.
    public static func changesState(_ method: String) -> Bool {
        !["GET", "HEAD", "OPTIONS"].contains(method)
    }

    /// Methods whose body a page can send without a preflight; the server
    /// insists on JSON so that a browser must ask first.
    public static func needsJSON(_ method: String) -> Bool {
        ["POST", "PUT", "PATCH"].contains(method)
    }

    public static func isJSON(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        let media = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    /// Headers every response to an allowed origin carries.
    public static func corsHeaders(origin: String) -> HTTPHeaders {
        var h = HTTPHeaders()
        h.add("Access-Control-Allow-Origin", origin)
        h.add("Vary", "Origin")
        h.add("Access-Control-Expose-Headers", "X-Request-Id, X-Worker-Id, X-Worker-Name, Retry-After")
        return h
    }

    /// The answer to a preflight from an allowed origin for `methods`.
    public static func preflightHeaders(origin: String, methods: [String], requestHeaders: String?) -> HTTPHeaders {
        var h = corsHeaders(origin: origin)
        h.add("Access-Control-Allow-Methods", methods.joined(separator: ", "))
        // Echo the names asked for when they are plain tokens (SDKs send
        // their own x-stainless-* and anthropic-* headers).
        let asked = (requestHeaders ?? "").split(separator: ",").map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty && $0.utf8.allSatisfy(HTTPParser.isTokenByte) }
        h.add("Access-Control-Allow-Headers", asked.isEmpty ? "Authorization, Content-Type, X-API-Key" : asked.joined(separator: ", "))
        h.add("Access-Control-Max-Age", "600")
        return h
    }

    /// "127.0.0.1:8080" -> "127.0.0.1"; "[::1]:8080" -> "::1".
    static func hostName(_ host: String) -> String {
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return host }
            return String(host[host.index(after: host.startIndex)..<close])
        }
        if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon { return String(host[..<colon]) }
        return host
    }

    static func isLoopback(_ name: String) -> Bool {
        var n = name
        if n.hasSuffix(".") { n.removeLast() }  // "localhost." is the same name
        if n == "localhost" || n.hasSuffix(".localhost") || n == "::1" || n == "0:0:0:0:0:0:0:1" { return true }
        let parts = n.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p)! <= 255 }
    }

    /// A client's header value for an error message: quoted, cut short.
    public static func quoted(_ value: String) -> String {
        let cut = value.count > 100 ? String(value.prefix(100)) + "..." : value
        return "'" + cut + "'"
    }

    private static func trimSlash(_ s: String) -> String { s.hasSuffix("/") ? String(s.dropLast()) : s }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
