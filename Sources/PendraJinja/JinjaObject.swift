/// An insertion-ordered string-keyed dictionary: Python dicts keep insertion order and
/// templates print them (`tojson`, `items()`), so output order must match the input's.
public struct JinjaObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}

    public init(_ pairs: [(String, JinjaValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public var values: [JinjaValue] { keys.map { storage[$0] ?? .none } }

    public var pairs: [(key: String, value: JinjaValue)] {
        keys.map { ($0, storage[$0] ?? .none) }
    }

    /// Setting nil removes the key, like `del d[key]`.
    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public func contains(_ key: String) -> Bool { storage[key] != nil }

    /// Python dicts may have integer keys (`{0: 0, 512: 128}`). They are stored under a
    /// marker-prefixed string so the map stays string-keyed; `keyValue` restores them.
    static let intKeyMarker: Character = "\u{1}"

    static func storageKey(_ key: JinjaValue) -> String {
        if case .string(let s) = key { return s }
        if let i = key.asInt { return String(intKeyMarker) + String(i) }
        return key.text
    }

    static func keyValue(_ key: String) -> JinjaValue {
        if key.first == intKeyMarker, let i = Int(key.dropFirst()) { return .int(i) }
        return .string(key)
    }

    /// Python dict equality ignores order.
    public static func == (lhs: JinjaObject, rhs: JinjaObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for key in lhs.keys {
            guard let l = lhs.storage[key], let r = rhs.storage[key], l.looselyEquals(r) else { return false }
        }
        return true
    }
}
