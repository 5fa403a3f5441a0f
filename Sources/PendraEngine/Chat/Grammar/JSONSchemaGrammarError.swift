/// Why a JSON Schema (or a tool list) cannot become a grammar. Every case
/// is the caller's mistake, so the HTTP layer answers 400 with `description`.
public enum JSONSchemaGrammarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A schema must be an object (or `true`); `path` is a JSON pointer.
    case notASchema(path: String, found: String)
    case unknownType(path: String, type: String)
    /// A keyword has a value of the wrong shape (`required: "x"`, `minItems: -1`).
    case invalidKeyword(path: String, keyword: String, reason: String)
    /// Not a local reference, or it points at nothing.
    case unresolvableRef(path: String, ref: String)
    /// References that only alias each other in a loop describe no value.
    case refCycle(ref: String)
    /// The `false` schema: no value satisfies it.
    case unsatisfiable(path: String)
    /// A constrained tool call needs at least one tool.
    case noTools
    /// tool_choice named a tool that is not in `tools`.
    case unknownTool(String)
    /// The model has no tool-call format we can constrain to.
    case unsupportedToolFormat

    public var description: String {
        switch self {
        case .notASchema(let path, let found): "JSON Schema at \(path) must be an object or a boolean, got \(found)"
        case .unknownType(let path, let type): "JSON Schema at \(path) has unknown type \"\(type)\""
        case .invalidKeyword(let path, let keyword, let reason): "JSON Schema at \(path): \"\(keyword)\" \(reason)"
        case .unresolvableRef(let path, let ref): "JSON Schema at \(path): cannot resolve $ref \"\(ref)\" (only local refs like \"#/$defs/Name\" are supported)"
        case .refCycle(let ref): "JSON Schema $ref \"\(ref)\" refers to itself through aliases only"
        case .unsatisfiable(let path): "JSON Schema at \(path) is false: no value can match it"
        case .noTools: "a tool call was required but no tools were given"
        case .unknownTool(let name): "tool_choice names \"\(name)\", which is not among the tools"
        case .unsupportedToolFormat: "this model's chat template has no known tool-call format to constrain"
        }
    }
}
