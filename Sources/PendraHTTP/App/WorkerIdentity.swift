import Foundation

/// X-Worker-Id (stable per install) and X-Worker-Name (configurable).
public struct WorkerIdentity: Sendable {
    public let id: String
    public let name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    /// Reads the install's id from `$XDG_STATE_HOME/pendra/worker-id` (or
    /// `~/.local/state/...`), creating it once. If the file cannot be written
    /// the id is derived from the host name, still stable across restarts.
    public static func load(name: String) -> WorkerIdentity {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".local/state")
        let dir = base.appendingPathComponent("pendra")
        let file = dir.appendingPathComponent("worker-id")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty { return WorkerIdentity(id: id, name: name) }
        }
        let fresh = "wkr_" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try (fresh + "\n").write(to: file, atomically: true, encoding: .utf8)
            return WorkerIdentity(id: fresh, name: name)
        } catch {
            var h: UInt64 = 14695981039346656037
            for b in ProcessInfo.processInfo.hostName.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
            return WorkerIdentity(id: "wkr_" + String(h, radix: 16), name: name)
        }
    }

    var headers: HTTPHeaders { ["X-Worker-Id": id, "X-Worker-Name": name] }
}
