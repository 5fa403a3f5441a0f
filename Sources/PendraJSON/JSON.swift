/// A JSON value that keeps object key order and tells booleans from numbers
/// (Foundation's NSNumber blurs them), so API handlers can say exactly which
/// field has the wrong type, and text parsed here prints back in the order
/// the client wrote it (as Python's json.loads / json.dumps do).
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer literal that fits `Int`, exactly.
    case int(Int)
    /// A literal with a fraction or exponent, or an integer beyond `Int`.
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// Why a text is not JSON, and where: `reason` plus the byte offset (and
    /// line / column when the text has several lines) in `message`.
    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public let reason: String
        /// 0-based offset of the byte where the problem was found.
        public let offset: Int
        public let message: String
        public var description: String { message }

        public init(reason: String, offset: Int, line: Int = 1, column: Int? = nil) {
            self.reason = reason
            self.offset = offset
            message = line > 1 ? "\(reason) at byte \(offset) (line \(line), column \(column ?? 1))"
                : "\(reason) at byte \(offset)"
        }
    }

    /// Deepest nesting of arrays and objects `parse` accepts; deeper text is
    /// an error rather than a stack overflow.
    public static let maxDepth = 512

    /// Parses a complete JSON text (any value at top level). See JSONParser.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSON {
        try bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(ParseError) in
                var parser = JSONParser(buffer)
                return try parser.document()
            }
        }.get()
    }

    public static func parse(_ text: String) throws(ParseError) -> JSON {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(ParseError) in
                var parser = JSONParser(buffer)
                return try parser.document()
            }
        }.get()
    }

    public init(_ object: JSONObject) { self = .object(object) }

    // MARK: Access

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d.rounded() == d && abs(d) < 9.0e15 ? Int(d) : nil
        default: return nil
        }
    }
    public var double: Double? {
        switch self { case .int(let i): return Double(i); case .double(let d): return d; default: return nil }
    }
    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var object: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { self == .null }

    /// The JSON type name, for error messages ("expected a string, got a number").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
