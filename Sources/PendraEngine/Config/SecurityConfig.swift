import Foundation

/// The `server` fields that defend the HTTP side: which `Host` names and
/// browser origins are served, and how many request bytes may be buffered.
public struct SecurityConfig: Sendable, Equatable {
    /// `Host` values served besides loopback names and addresses; "*" any.
    public var allowedHosts: [String] = []
    /// Browser origins allowed cross-origin (CORS); empty: none.
    public var corsOrigins: [String] = []
    /// Request bytes buffered across all connections before 503.
    public var maxBufferedBytes = 256 << 20
    /// Seconds from a request head to the end of its body.
    public var bodyTimeoutSeconds: Double = 60

    public init() {}

    static func load(server: JSONObject, file: String) throws(ConfigError) -> SecurityConfig {
        func fail(_ m: String) -> ConfigError { ConfigError(file: file, message: "server.\(m)") }
        func strings(_ k: String) throws(ConfigError) -> [String] {
            guard let v = server[k], !v.isNull else { return [] }
            guard let a = v.array, a.allSatisfy({ $0.string != nil }) else { throw fail("\(k) must be an array of strings") }
            let list = a.compactMap(\.string)
            if let bad = list.first(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
                throw fail("\(k) entry \"\(bad)\" must be non-empty without spaces")
            }
            return list
        }
        var c = SecurityConfig()
        c.allowedHosts = try strings("allowed_hosts")
        c.corsOrigins = try strings("cors_origins")
        if let bad = c.corsOrigins.first(where: { $0 != "*" && !$0.hasPrefix("http://") && !$0.hasPrefix("https://") }) {
            throw fail("cors_origins entry \"\(bad)\" must be an origin such as http://localhost:3000, or *")
        }
        if let v = server["max_buffered_mb"], !v.isNull {
            guard let i = v.int, v.bool == nil, (1...1_048_576).contains(i) else {
                throw fail("max_buffered_mb must be an integer from 1 to 1048576")
            }
            c.maxBufferedBytes = i << 20
        }
        if let v = server["body_timeout_seconds"], !v.isNull {
            guard let d = v.double, v.bool == nil, d > 0, d <= 86_400 else {
                throw fail("body_timeout_seconds must be a number of seconds above 0 and at most 86400")
            }
            c.bodyTimeoutSeconds = d
        }
        return c
    }
}
