import Foundation

/// One llama.cpp `rpc-server` a model's layers may be placed on, written
/// `host:port` (`[v6addr]:port` for IPv6) as llama.cpp's own `--rpc` takes it.
public struct RPCEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// What llama.cpp is given (ggml-rpc parses `host:port` itself).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host:port`; nil when the text is not one (no host, no port,
    /// a port outside 1-65535, spaces).
    public static func parse(_ text: String) -> RPCEndpoint? {
        guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "/" }) else { return nil }
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }  // a bare IPv6 address needs brackets
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port), portText.allSatisfy(\.isNumber) else {
            return nil
        }
        return RPCEndpoint(host: String(host), port: port)
    }

    /// The item of a list that is not `host:port`.
    public struct BadItem: Error, Equatable { public let text: String }

    /// A comma-separated list (`--rpc a:1,b:2`); the item that failed otherwise.
    public static func parseList(_ text: String) -> Result<[RPCEndpoint], BadItem> {
        var list: [RPCEndpoint] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            guard let e = parse(item) else { return .failure(BadItem(text: item)) }
            list.append(e)
        }
        return .success(list)
    }
}
