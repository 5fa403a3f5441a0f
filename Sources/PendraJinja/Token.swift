/// One lexical unit. Template text and tag delimiters share the stream with expression
/// tokens so the parser can treat a whole template as one sequence.
enum TokenKind: Equatable, Sendable {
    case text(String)
    case variableStart, variableEnd, blockStart, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    /// Operators and punctuation, longest match: `//`, `**`, `==`, `!=`, `<=`, `>=`, `(`...
    case op(String)
    case eof
}

struct Token: Sendable {
    let kind: TokenKind
    let line: Int
}
