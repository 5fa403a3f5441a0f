/// What a key may do. Owners may do everything members may, plus the
/// owner-only operations (loading models, changing configuration).
public enum KeyRole: String, Sendable, CaseIterable, Comparable {
    case member
    case owner

    public static func < (a: KeyRole, b: KeyRole) -> Bool { a == .member && b == .owner }
}

/// One configured API key. The secret never appears in `description`,
/// `debugDescription` or `dump()` output.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
                      CustomReflectable {
    public var key: String
    public var role: KeyRole
    public var organisation: String
    public var name: String?

    public init(key: String, role: KeyRole = .member, organisation: String = "default", name: String? = nil) {
        self.key = key
        self.role = role
        self.organisation = organisation
        self.name = name
    }

    public var description: String {
        "APIKey(key: <redacted>, role: \(role.rawValue), organisation: \(organisation)\(name.map { ", name: \($0)" } ?? ""))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["key": "<redacted>", "role": role, "organisation": organisation,
                                "name": name as Any], displayStyle: .struct)
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
