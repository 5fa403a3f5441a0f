import Foundation
import PendraEngine

/// The live set of API keys: the operator's (config file and environment,
/// fixed for the process) plus those made through the key admin API, which
/// may be revoked and, when a keys file is configured, survive restarts.
///
/// Requests read an immutable `KeyStore` snapshot; a change swaps it under a
/// short lock, so authentication never waits on the file.
public final class KeyRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var current: KeyStore
    private let operatorKeys: [APIKey]
    private var created: [APIKey]
    /// Where API-made keys are kept (digests only, mode 0600); nil: memory only.
    public let file: String?

    /// Loads `file`'s keys (a missing file is an empty one).
    public init(operatorKeys: [APIKey], file: String?) throws(KeyRegistryError) {
        self.operatorKeys = operatorKeys
        self.file = file
        created = try file.map(Self.read) ?? []
        current = KeyStore(keys: operatorKeys + created)
    }

    public var snapshot: KeyStore { lock.withLock { current } }

    /// A new key; the secret is returned once and kept nowhere.
    public func create(role: KeyRole, organisation: String, name: String?,
                       now: Int = Int(Date().timeIntervalSince1970)) throws(KeyRegistryError) -> (key: APIKey, secret: String) {
        // The documents' shape: `pdr_sk_` and 192 bits from the system CSPRNG (getrandom).
        var rng = SystemRandomNumberGenerator()
        let secret = "pdr_sk_" + SHA256.hex((0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let key = APIKey(key: secret, role: role, organisation: organisation, name: name, source: .api, createdAt: now)
        try change { $0.append(key) }
        return (key, secret)
    }

    /// Revokes an API-made key. Operator keys are changed where they are
    /// defined; the last owner key is kept so the server stays manageable.
    /// The checks run under the same lock as the change, so two revocations
    /// cannot both pass the last-owner check.
    @discardableResult
    public func revoke(id: String) throws(KeyRegistryError) -> APIKey {
        var revoked: APIKey?
        try change { created throws(KeyRegistryError) in
            let all = operatorKeys + created
            guard let key = all.first(where: { $0.id == id }) else { throw .notFound(id) }
            guard key.source == .api else { throw .notRevocable(id, key.source) }
            if key.role == .owner && all.filter({ $0.role == .owner }).count == 1 { throw .lastOwner(id) }
            created.removeAll { $0.id == id }
            revoked = key
        }
        return revoked!
    }

    /// Applies `edit` to the API-made keys, writes the file, then swaps the
    /// snapshot; a refused edit or a failed write changes nothing.
    private func change(_ edit: (inout [APIKey]) throws(KeyRegistryError) -> Void) throws(KeyRegistryError) {
        lock.lock()
        defer { lock.unlock() }
        var next = created
        try edit(&next)
        if let file { try Self.write(next, to: file) }
        created = next
        current = KeyStore(keys: operatorKeys + next)
    }

    // MARK: the keys file

    static func read(_ path: String) throws(KeyRegistryError) -> [APIKey] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        func bad(_ why: String) -> KeyRegistryError { .file(path, why) }
        guard let data = FileManager.default.contents(atPath: path) else { throw bad("cannot read it") }
        let json: JSON
        do { json = try JSON.parse(Array(data)) } catch { throw bad("invalid JSON: \(error.message)") }
        guard let list = json["keys"]?.array else { throw bad("expected {\"keys\": [...]}") }
        var keys: [APIKey] = []
        for (i, entry) in list.enumerated() {
            guard let hex = entry["sha256"]?.string, let digest = Self.bytes(hex: hex), digest.count == 32,
                  let role = entry["role"]?.string.flatMap(KeyRole.init(rawValue:)),
                  let org = entry["organisation"]?.string else {
                throw bad("keys[\(i)] needs sha256 (64 hex digits), role (owner or member) and organisation")
            }
            keys.append(APIKey(digest: digest, role: role, organisation: org, name: entry["name"]?.string,
                               source: .api, createdAt: entry["created_at"]?.int))
        }
        return keys
    }

    static func write(_ keys: [APIKey], to path: String) throws(KeyRegistryError) {
        let entries: [JSON] = keys.map { k in
            ["sha256": .string(SHA256.hex(k.digest)), "role": .string(k.role.rawValue), "organisation": .string(k.organisation),
             "name": k.name.map { .string($0) } ?? .null, "created_at": k.createdAt.map { .int($0) } ?? .null]
        }
        let text = JSON(["keys": .array(entries)]).serialized + "\n"
        // Written beside the target, then renamed over it: never half a file.
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let tmp = path + ".tmp-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw .file(path, "cannot create \(dir): \(error.localizedDescription)")
        }
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw .file(path, "cannot write \(tmp)")
        }
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw .file(path, "cannot replace it: \(why)")
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let b = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}

public enum KeyRegistryError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case notRevocable(String, KeySource)
    case lastOwner(String)
    case file(String, String)

    public var description: String {
        switch self {
        case .notFound(let id): "No API key has the id '\(id)'"
        case .notRevocable(let id, let source):
            "Key '\(id)' is defined in the \(source == .config ? "config file" : "PENDRA_API_KEYS environment variable"); remove it there and restart"
        case .lastOwner(let id): "Key '\(id)' is the last owner key; create another owner key before revoking it"
        case .file(let path, let why): "API keys file \(path): \(why)"
        }
    }
}
