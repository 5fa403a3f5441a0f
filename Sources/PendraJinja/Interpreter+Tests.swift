/// jinja2's tests (`x is defined`, `n is divisibleby 3`) and filter dispatch.
extension Interpreter {
    func applyFilter(_ filter: FilterCall, to value: JinjaValue, in frame: Frame) throws -> JinjaValue {
        try Filters.apply(filter.name, value, try evaluateArguments(filter.arguments, in: frame), self)
    }

    func applyTest(_ name: String, to value: JinjaValue, _ args: JinjaArguments) throws -> Bool {
        let other = args.positional.first
        func needOther() throws -> JinjaValue {
            guard let other else { throw JinjaError.runtime("test '\(name)' needs an argument") }
            return other
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .object = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number":
            switch value { case .int, .double, .bool: return true; default: return false }
        case "sequence":
            switch value { case .string, .array, .object: return true; default: return false }
        case "iterable":
            switch value { case .string, .array, .object, .undefined: return true; default: return false }
        case "callable": if case .function = value { return true } else { return false }
        case "lower": if case .string(let s) = value { return s == s.lowercased() } else { return false }
        case "upper": if case .string(let s) = value { return s == s.uppercased() } else { return false }
        case "odd", "even":
            guard let i = value.asInt else { throw JinjaError.runtime("test '\(name)' needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = value.asInt, let n = try needOther().asInt, n != 0 else {
                throw JinjaError.runtime("divisibleby needs non-zero integers")
            }
            return i % n == 0
        case "eq", "equalto", "==": return value.looselyEquals(try needOther())
        case "ne", "!=": return !value.looselyEquals(try needOther())
        case "lt", "<": return try compare(value, try needOther(), "<") < 0
        case "le", "<=": return try compare(value, try needOther(), "<=") <= 0
        case "gt", ">", "greaterthan": return try compare(value, try needOther(), ">") > 0
        case "ge", ">=": return try compare(value, try needOther(), ">=") >= 0
        case "lessthan": return try compare(value, try needOther(), "<") < 0
        case "in": return try contains(try needOther(), value)
        case "sameas": return identical(value, try needOther())
        case "escaped": return false
        case "filter", "test":
            guard case .string(let n) = value else { return false }
            return name == "filter" ? Interpreter.knownFilters.contains(n) : Interpreter.knownTests.contains(n)
        default:
            throw JinjaError.runtime("No test named '\(name)' found.")
        }
    }

    /// Python `is`: singletons compare by value, everything else only to itself.
    private func identical(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.none, .none), (.undefined, .undefined): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y && x >= -5 && x <= 256
        case (.namespace(let x), .namespace(let y)): return x === y
        default: return false
        }
    }

    static let knownTests: Set<String> = [
        "defined", "undefined", "none", "string", "mapping", "boolean", "true", "false", "integer", "float",
        "number", "sequence", "iterable", "callable", "lower", "upper", "odd", "even", "divisibleby", "eq",
        "equalto", "ne", "lt", "le", "gt", "ge", "in", "sameas", "escaped", "filter", "test",
    ]

    static let knownFilters: Set<String> = [
        "trim", "tojson", "string", "upper", "lower", "capitalize", "title", "replace", "safe", "escape", "e",
        "forceescape", "indent", "center", "wordcount", "striptags", "format", "default", "d", "int", "float",
        "abs", "round", "attr", "length", "count", "list", "first", "last", "join", "items", "selectattr",
        "rejectattr", "select", "reject", "map", "dictsort", "sort", "unique", "reverse", "batch", "sum", "min",
        "max",
    ]
}
