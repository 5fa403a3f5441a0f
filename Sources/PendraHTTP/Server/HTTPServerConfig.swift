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

    public init() {}
}
