/// The parsed template. Statements and expressions are separate indirect enums so the
/// interpreter can switch over each exhaustively.
indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case ifBlock(branches: [(condition: Expr, body: [Node])], otherwise: [Node])
    case forLoop(ForLoop)
    case set(target: Target, value: Expr)
    case setBlock(target: Target, filters: [FilterCall], body: [Node])
    case macro(MacroDefinition)
    /// `{% call(params) macro(args) %}body{% endcall %}`: `caller()` renders body.
    case callBlock(call: Expr, parameters: [Parameter], body: [Node])
    case filterBlock(filters: [FilterCall], body: [Node])
    /// `{% generation %}` (transformers' extension) and other pass-through bodies.
    case block([Node])
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}

/// Assignment targets: `x`, `ns.attr`, or unpacking `a, b`.
enum Target: Sendable {
    case name(String)
    case attribute(String, String)
    case tuple([String])
}

struct ForLoop: Sendable {
    let target: Target
    let iterable: Expr
    let filter: Expr?
    let body: [Node]
    let otherwise: [Node]
    let line: Int
}

struct Parameter: Sendable {
    let name: String
    let defaultValue: Expr?
}

struct MacroDefinition: Sendable {
    let name: String
    let parameters: [Parameter]
    let body: [Node]
}

struct FilterCall: Sendable {
    let name: String
    let arguments: [Argument]
    let line: Int
}

enum Argument: Sendable {
    case positional(Expr)
    case named(String, Expr)
}

indirect enum Expr: Sendable {
    case literal(JinjaValue)
    case name(String, line: Int)
    case list([Expr])
    case tuple([Expr])
    case dict([(key: Expr, value: Expr)])
    case attribute(Expr, String, line: Int)
    case item(Expr, Expr, line: Int)
    case slice(Expr, start: Expr?, stop: Expr?, step: Expr?, line: Int)
    case call(Expr, [Argument], line: Int)
    case filter(Expr, FilterCall)
    case test(Expr, name: String, arguments: [Argument], negated: Bool, line: Int)
    case unary(String, Expr, line: Int)
    case binary(String, Expr, Expr, line: Int)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case not(Expr)
    case conditional(condition: Expr, then: Expr, otherwise: Expr?)
}
