/// Every failure the interpreter reports, one case per stage. Line numbers are 1-based.
public enum JinjaError: Error, CustomStringConvertible, Equatable {
    /// The lexer or parser rejected the source.
    case syntax(String, line: Int)
    /// Valid Jinja that this interpreter deliberately does not implement (`include`, `extends`...).
    case unsupported(String, line: Int)
    /// A render-time failure: undefined access, type errors, unknown filters, limits.
    case runtime(String)
    /// The template called `raise_exception(message)`.
    case raised(String)

    public var description: String {
        switch self {
        case .syntax(let message, let line): return "Jinja syntax error (line \(line)): \(message)"
        case .unsupported(let message, let line): return "Jinja construct not supported (line \(line)): \(message)"
        case .runtime(let message): return "Jinja render error: \(message)"
        case .raised(let message): return message
        }
    }
}

extension JinjaError {
    /// The message alone, without the stage prefix: what jinja2's exception says.
    public var message: String {
        switch self {
        case .syntax(let m, _), .unsupported(let m, _), .runtime(let m), .raised(let m): m
        }
    }
}
