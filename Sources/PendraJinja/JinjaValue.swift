import Foundation

/// A runtime value, modelled on the Python objects jinja2 templates see.
public enum JinjaValue: Sendable {
    case none
    /// jinja2's default `Undefined`: prints as "", is falsy, iterates as empty;
    /// other uses raise the message it carries.
    case undefined(JinjaUndefined)
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaObject)
    /// `namespace()`: the one value templates may mutate, so it has reference semantics.
    case namespace(JinjaNamespace)
    /// Globals, bound methods, macros and `caller`.
    case function(JinjaFunction)
}

/// The arguments of one call: positional first, then keywords in source order.
public struct JinjaArguments: Sendable {
    public var positional: [JinjaValue]
    public var named: [(String, JinjaValue)]

    public init(_ positional: [JinjaValue] = [], named: [(String, JinjaValue)] = []) {
        self.positional = positional
        self.named = named
    }

    /// Python-style binding: keyword `name`, else position `index`, else nil.
    public func value(_ name: String, at index: Int) -> JinjaValue? {
        if let hit = named.first(where: { $0.0 == name }) { return hit.1 }
        return index < positional.count ? positional[index] : nil
    }
}

/// A callable value. `body` gets the interpreter so macros and `caller` can render.
public struct JinjaFunction: Sendable {
    public let name: String
    let body: @Sendable (JinjaArguments, Interpreter) throws -> JinjaValue

    init(_ name: String, _ body: @escaping @Sendable (JinjaArguments, Interpreter) throws -> JinjaValue) {
        self.name = name
        self.body = body
    }
}

/// `namespace(...)`: attribute assignment inside loops must be visible after them,
/// which value-typed objects cannot do. A namespace is created and used by a single
/// render on a single thread, hence the unchecked conformance.
public final class JinjaNamespace: @unchecked Sendable {
    var object: JinjaObject
    init(_ object: JinjaObject) { self.object = object }
}

extension JinjaValue {
    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .none, .undefined: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        case .namespace, .function: return true
        }
    }

    public var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python's type name, for error messages that match jinja2's wording.
    var typeName: String {
        switch self {
        case .none: return "NoneType"
        case .undefined: return "Undefined"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        case .namespace: return "Namespace"
        case .function: return "function"
        }
    }

    /// Numeric view where Python would accept the value as a number (bool is an int).
    var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    var asInt: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python `==`: numbers compare across int/float/bool, containers element-wise.
    func looselyEquals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.none, .none), (.undefined, .undefined): return true
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.looselyEquals($1) }
        case (.object(let a), .object(let b)): return a == b
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let x = asDouble, let y = other.asDouble {
                if let i = asInt, let j = other.asInt { return i == j }
                return x == y
            }
            return false
        }
    }
}

extension JinjaValue: Equatable {
    public static func == (lhs: JinjaValue, rhs: JinjaValue) -> Bool { lhs.looselyEquals(rhs) }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .object(JinjaObject(elements)) }
}
