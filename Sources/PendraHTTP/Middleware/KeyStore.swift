/// The configured API keys, and the one place that turns request headers into
/// a `Principal`.
///
/// Keys come from the configuration file and from the environment variable
/// `PENDRA_API_KEYS`, whose format is a comma-separated list of entries
///
///     key[:role[:organisation[:name]]]
///
/// where `role` is `owner` or `member` (default `member`), `organisation`
/// defaults to `default`, and `name` is an optional label for logs. Empty
/// fields take their default, spaces around fields are ignored, and empty
/// entries are skipped. Example:
///
///     PENDRA_API_KEYS="sk-admin-123:owner:acme:ci, sk-team-456::acme, sk-guest"
///
/// With no keys at all the server is open: every caller is an anonymous owner.
public struct KeyStore: Sendable, CustomStringConvertible, CustomReflectable {
    public static let environmentVariable = "PENDRA_API_KEYS"

    public let keys: [APIKey]

    public init(keys: [APIKey]) {
        self.keys = keys
    }

    /// Configuration keys first, then those of `PENDRA_API_KEYS`.
    public static func load(config: [APIKey] = [], environment: [String: String]) throws(KeyStoreError) -> KeyStore {
        let fromEnv = try environment[environmentVariable].map(parse) ?? []
        return KeyStore(keys: config + fromEnv)
    }

    /// Parses the `PENDRA_API_KEYS` format (see the type's documentation).
    /// Errors name the entry by position, never by its key.
    public static func parse(_ text: String) throws(KeyStoreError) -> [APIKey] {
        var out: [APIKey] = []
        for (index, raw) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let entry = raw.trimmingSpaces()
            if entry.isEmpty { continue }
            let fields = entry.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
                .map { $0.trimmingSpaces() }
            let position = index + 1
            guard !fields[0].isEmpty else { throw .emptyKey(entry: position) }
            var role = KeyRole.member
            if fields.count > 1, !fields[1].isEmpty {
                guard let r = KeyRole(rawValue: fields[1].lowercased()) else {
                    throw .unknownRole(entry: position)
                }
                role = r
            }
            let org = fields.count > 2 && !fields[2].isEmpty ? fields[2] : "default"
            let name = fields.count > 3 && !fields[3].isEmpty ? fields[3] : nil
            let key = APIKey(key: fields[0], role: role, organisation: org, name: name, source: .environment)
            if out.contains(where: { $0.digest == key.digest }) { throw .duplicateKey(entry: position) }
            out.append(key)
        }
        return out
    }

    public var description: String { "KeyStore(\(keys.count) keys)" }
    /// `dump()` and `String(reflecting:)` show the redacted keys, never the secret bytes.
    public var customMirror: Mirror { Mirror(self, children: ["keys": keys], displayStyle: .struct) }

    /// True when no key is configured: every caller is an anonymous owner.
    public var isOpen: Bool { keys.isEmpty }

    /// The key candidates a request presents: `Authorization: Bearer <k>`
    /// and `x-api-key: <k>` (OpenAI SDKs send the first, Anthropic's the
    /// second; Claude Code may send both).
    public static func presentedKeys(in headers: HTTPHeaders) -> [String] {
        var out: [String] = []
        if let auth = headers["Authorization"] {
            let trimmed = auth.trimmingSpaces()
            if trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " {
                let k = String(trimmed.dropFirst(7)).trimmingSpaces()
                if !k.isEmpty { out.append(k) }
            }
        }
        if let k = headers["x-api-key"]?.trimmingSpaces(), !k.isEmpty { out.append(k) }
        return out
    }

    /// Who is calling. Open server: the anonymous owner. Otherwise 401
    /// "Missing API key" when no key is presented and 401 "Invalid API key"
    /// when none of the presented keys is known.
    public func authenticate(_ headers: HTTPHeaders) -> Result<Principal, APIError> {
        if isOpen { return .success(.anonymousOwner) }
        let presented = KeyStore.presentedKeys(in: headers)
        if presented.isEmpty { return .failure(.missingAPIKey()) }
        for candidate in presented {
            if let key = lookup(candidate) {
                return .success(Principal(role: key.role, organisation: key.organisation, name: key.name))
            }
        }
        return .failure(.unauthorized())
    }

    /// Authentication plus the route's requirement: public routes never fail
    /// (the principal is nil when no valid key came); member routes need any
    /// valid key; owner routes answer 403 to a member.
    public func authorize(_ headers: HTTPHeaders, requirement: AuthRequirement) -> Result<Principal?, APIError> {
        let result = authenticate(headers)
        switch (requirement, result) {
        case (.public, .success(let p)): return .success(p)
        case (.public, .failure): return .success(nil)
        case (_, .failure(let e)): return .failure(e)
        case (.member, .success(let p)): return .success(p)
        case (.owner, .success(let p)): return KeyStore.requireOwner(p).map { Optional($0) }
        }
    }

    /// 403 unless `principal` is an owner.
    public static func requireOwner(_ principal: Principal) -> Result<Principal, APIError> {
        principal.role == .owner ? .success(principal) : .failure(.forbidden())
    }

    /// The key whose digest equals `candidate`'s. The candidate is hashed
    /// once; every stored digest is compared in full (32 bytes, no early
    /// exit), so the time taken says nothing about which key matched or how
    /// much of one.
    func lookup(_ candidate: String) -> APIKey? {
        let c = SHA256.hash(Array(candidate.utf8))
        var found = -1
        for (i, stored) in keys.enumerated() {
            let equal = KeyStore.constantTimeEquals(stored.digest, c)
            // Select without branching on the secret-dependent comparison.
            let mask = 0 &- Int(equal ? 1 : 0)
            found = (i & mask) | (found & ~mask)
        }
        return found >= 0 ? keys[found] : nil
    }

    /// Equality of two digests: XOR-accumulate, no early exit.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }  // lengths are public (32)
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// Why `PENDRA_API_KEYS` could not be read. Never carries a key.
public enum KeyStoreError: Error, Equatable, CustomStringConvertible {
    case emptyKey(entry: Int)
    case unknownRole(entry: Int)
    case duplicateKey(entry: Int)

    public var description: String {
        switch self {
        case .emptyKey(let n): "PENDRA_API_KEYS entry \(n): empty key"
        case .unknownRole(let n): "PENDRA_API_KEYS entry \(n): unknown role (expected owner or member)"
        case .duplicateKey(let n): "PENDRA_API_KEYS entry \(n): repeats an earlier key"
        }
    }
}
