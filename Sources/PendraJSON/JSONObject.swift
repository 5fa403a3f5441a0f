/// Object members in insertion order with keyed lookup. Setting an existing
/// key replaces its value in place (Python dict semantics), so a parsed
/// object with a duplicate key keeps the first position and the last value.
///
/// Most objects in API bodies have a handful of members ({"type": "text",
/// "text": ...}), so lookup scans the members; a hash index is built only
/// once an object grows past `indexThreshold`.
public struct JSONObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSON)

    fileprivate struct Member: Sendable, Equatable {
        var key: String
        var value: JSON
    }

    private var members: [Member] = []
    /// key → position in `members`; empty while count <= indexThreshold.
    private var index: [String: Int] = [:]
    private static let indexThreshold = 8

    public init() {}

    public init(_ pairs: KeyValuePairs<String, JSON>) {
        for (k, v) in pairs { self[k] = v }
    }

    public init(dictionaryLiteral elements: (String, JSON)...) {
        for (k, v) in elements { self[k] = v }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    private func position(of key: String) -> Int? {
        if members.count > Self.indexThreshold { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { members[$0].value } }
        set {
            switch (position(of: key), newValue) {
            case (let i?, let v?):
                members[i].value = v
            case (nil, let v?):
                members.append(Member(key: key, value: v))
                if members.count > Self.indexThreshold {
                    if index.isEmpty { rebuildIndex() } else { index[key] = members.count - 1 }
                }
            case (let i?, nil):
                members.remove(at: i)
                if members.count > Self.indexThreshold { rebuildIndex() } else { index = [:] }
            case (nil, nil):
                break
            }
        }
    }

    private mutating func rebuildIndex() {
        index = [:]
        index.reserveCapacity(members.count)
        for (i, m) in members.enumerated() { index[m.key] = i }
    }

    /// Equal when the same members come in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.members == rhs.members }

    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Member]>
        public mutating func next() -> Element? { base.next().map { ($0.key, $0.value) } }
    }

    public func makeIterator() -> Iterator { Iterator(base: members.makeIterator()) }
}
