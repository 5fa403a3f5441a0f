import Foundation

/// X-Worker-Id and X-Worker-Name. The id is what a gateway's logs and the
/// seeds' 502 advice ("retry; Pendra will pick a different worker") key
/// on, so it is stable across restarts of the same worker: the configured
/// `server.worker_id`, else derived from the host name and the port served.
public struct WorkerIdentity: Sendable {
    public let id: String
    public let name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    /// `configured` when set; else `wkr_` and 16 hex digits of a hash of
    /// `host:port` (two workers on one host differ by port; the same worker
    /// restarted on its port keeps its id).
    public static func resolve(configured: String?, name: String, host: String, port: Int) -> WorkerIdentity {
        if let configured { return WorkerIdentity(id: configured, name: name) }
        return WorkerIdentity(id: derivedID(host: host, port: port), name: name)
    }

    /// FNV-1a 64 of `host:port`: deterministic across processes and
    /// platforms (Swift's Hasher is seeded per process).
    public static func derivedID(host: String, port: Int) -> String {
        var h: UInt64 = 14695981039346656037
        for b in "\(host):\(port)".utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        let hex = String(h, radix: 16)
        return "wkr_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    var headers: HTTPHeaders { ["X-Worker-Id": id, "X-Worker-Name": name] }
}
