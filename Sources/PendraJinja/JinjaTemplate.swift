import Foundation

/// A parsed template: parse once, render per request. Parsing is Lexer -> Parser;
/// rendering builds a fresh Interpreter so renders share no mutable state.
public struct JinjaTemplate: Sendable {
    let nodes: [Node]

    /// Parses `source` with Hugging Face's settings (trim_blocks, lstrip_blocks,
    /// loop controls). Throws `JinjaError.syntax` / `.unsupported` with a line number.
    public init(_ source: String) throws {
        nodes = try Parser.parse(try Lexer.tokenize(source))
    }

    /// Renders with the current local time behind `strftime_now`.
    public func render(_ context: [String: JinjaValue]) throws -> String {
        try render(context, now: nil)
    }

    /// Renders with `now` (interpreted in UTC) behind `strftime_now` when given,
    /// which keeps outputs reproducible in tests.
    public func render(_ context: [String: JinjaValue], now: Date?) throws -> String {
        let interpreter = Interpreter()
        var variables = Globals.make(now: now ?? Date(), utc: now != nil)
        for (key, value) in context { variables[key] = value }
        let globals = Frame(variables)
        _ = try interpreter.render(nodes, in: Frame(parent: globals))
        return interpreter.output
    }
}
