/// Listening address and the limits every connection is held to.
public struct HTTPServerConfig: Sendable {
    /// A numeric IPv4/IPv6 address or a host name ("127.0.0.1", "::", "[::1]", "localhost").
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; read it back from `HTTPServer.boundPort`.
    public var port: Int = 8080
    /// Request line plus header fields (and, separately, chunked trailers).
    public var maxHeaderBytes = 64 * 1024
    /// De-chunked request body.
    public var maxBodyBytes = 32 * 1024 * 1024
    /// Seconds a client has to send a complete request head.
    public var headerTimeout: Double = 10
    /// Seconds a keep-alive connection may sit idle between requests.
    public var idleTimeout: Double = 60
    /// Connections accepted beyond this are answered 503 and closed.
    public var maxConnections = 4096
    /// Output a streaming response may queue for a peer that stopped reading
    /// before the connection is dropped.
    public var maxOutputBufferBytes = 4 * 1024 * 1024
    /// Request bytes held across all connections (heads, bodies being read,
    /// declared lengths of bodies under way); a request beyond it gets 503.
    public var maxBufferedBytes = 256 * 1024 * 1024
    /// Seconds from the end of a head to the end of its body (absolute).
    public var bodyTimeout: Double = 60

    public init() {}
}
