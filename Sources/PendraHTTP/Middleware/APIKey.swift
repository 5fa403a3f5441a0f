/// What a key may do. Owners may do everything members may, plus the
/// owner-only operations (loading models, changing configuration).
public enum KeyRole: String, Sendable, CaseIterable, Comparable {
    case member
    case owner

    public static func < (a: KeyRole, b: KeyRole) -> Bool { a == .member && b == .owner }
}

/// Where a key was defined: the operator's config file or environment, or
/// the key admin API (`POST /api/v1/keys`). Only the last can be revoked
/// through the API.
public enum KeySource: String, Sendable, Codable {
    case config
    case environment
    case api
}

/// One API key. Only its SHA-256 digest is held: the secret itself is never
/// kept, printed, logged or written to disk.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
                      CustomReflectable {
    /// SHA-256 of the key's UTF-8 bytes.
    public let digest: [UInt8]
    public var role: KeyRole
    public var organisation: String
    public var name: String?
    public var source: KeySource
    /// Unix seconds; keys from the admin API only.
    public var createdAt: Int?

    public init(key: String, role: KeyRole = .member, organisation: String = "default", name: String? = nil,
                source: KeySource = .config, createdAt: Int? = nil) {
        self.init(digest: SHA256.hash(Array(key.utf8)), role: role, organisation: organisation, name: name,
                  source: source, createdAt: createdAt)
    }

    public init(digest: [UInt8], role: KeyRole, organisation: String, name: String?, source: KeySource, createdAt: Int?) {
        self.digest = digest
        self.role = role
        self.organisation = organisation
        self.name = name
        self.source = source
        self.createdAt = createdAt
    }

    /// A stable public handle: the first 16 hex digits of the digest.
    public var id: String { "key_" + SHA256.hex(Array(digest.prefix(8))) }

    public var description: String {
        "APIKey(\(id), role: \(role.rawValue), organisation: \(organisation)\(name.map { ", name: \($0)" } ?? ""))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["id": id, "role": role, "organisation": organisation,
                                "name": name as Any, "source": source], displayStyle: .struct)
    }
}

/// Who made a request, once authenticated. Carries no secret.
public struct Principal: Sendable, Equatable, CustomStringConvertible {
    public var role: KeyRole
    public var organisation: String
    public var name: String?
    /// True on an open server (no keys configured): everyone is this owner.
    public var isAnonymous: Bool

    public init(role: KeyRole, organisation: String, name: String? = nil, isAnonymous: Bool = false) {
        self.role = role
        self.organisation = organisation
        self.name = name
        self.isAnonymous = isAnonymous
    }

    /// The principal of an open server.
    public static let anonymousOwner = Principal(role: .owner, organisation: "default", name: nil, isAnonymous: true)

    public var description: String {
        if isAnonymous { return "Principal(anonymous \(role.rawValue))" }
        return "Principal(\(role.rawValue), organisation: \(organisation)\(name.map { ", name: \($0)" } ?? ""))"
    }
}

/// What a route asks of its caller.
public enum AuthRequirement: String, Sendable {
    /// No key needed (health, metrics); a valid key still yields a principal.
    case `public`
    /// Any valid key.
    case member
    /// An owner key; a member key gets 403.
    case owner
}
