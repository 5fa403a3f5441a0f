import PendraJSON

extension JinjaValue {
    /// A template value from JSON, members in the order the JSON has them, so
    /// `tojson` prints a client's schema as Python's json.dumps would.
    public init(_ json: JSON) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JinjaValue.init))
        case .object(let o):
            var j = JinjaObject()
            for (k, v) in o { j[k] = JinjaValue(v) }
            self = .object(j)
        }
    }

    /// Parses JSON text (PendraJSON's parser: key order and integers kept).
    public init(jsonText: String) throws {
        do { self = JinjaValue(try JSON.parse(jsonText)) } catch {
            throw JinjaError.runtime("invalid JSON: \(error.message)")
        }
    }
}
