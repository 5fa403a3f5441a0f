/// Filters, tests, call arguments and the small token helpers the parser shares.
extension Parser {
    /// `x | f(a) | g`, `x is [not] test [arg]`, and calls on their results.
    mutating func parseFilterExpr(_ base: Expr) throws -> Expr {
        var expr = base
        while true {
            if isOp("|") {
                next()
                expr = .filter(expr, try parseFilterCall())
            } else if isName("is") {
                let startLine = line
                next()
                var negated = false
                if isName("not") { negated = true; next() }
                let name = try expectAnyName()
                var arguments: [Argument] = []
                if isOp("(") {
                    arguments = try parseArguments()
                } else if startsTestArgument {
                    let primary = try parsePostfixOnly()
                    arguments = [.positional(primary)]
                }
                expr = .test(expr, name: name, arguments: arguments, negated: negated, line: startLine)
            } else if isOp("(") {
                expr = .call(expr, try parseArguments(), line: line)
            } else {
                return expr
            }
        }
    }

    /// jinja2 accepts one bare argument after a test name (`is divisibleby 3`).
    private var startsTestArgument: Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }

    /// jinja2 parses a bare test argument as a primary plus postfix access.
    private mutating func parsePostfixOnly() throws -> Expr {
        try parsePostfix(try parsePrimary())
    }

    mutating func parseFilterCall() throws -> FilterCall {
        let startLine = line
        var name = try expectAnyName()
        while isOp(".") { next(); name += "." + (try expectAnyName()) }
        let arguments = isOp("(") ? try parseArguments() : []
        return FilterCall(name: name, arguments: arguments, line: startLine)
    }

    /// `{% filter a | b(1) %}` and `{% set x | f %}`: the leading `|` is optional.
    mutating func parseFilterChain() throws -> [FilterCall] {
        var filters: [FilterCall] = []
        if isOp("|") { next() }
        filters.append(try parseFilterCall())
        while isOp("|") {
            next()
            filters.append(try parseFilterCall())
        }
        return filters
    }

    mutating func parseArguments() throws -> [Argument] {
        try expectOp("(")
        var arguments: [Argument] = []
        while !isOp(")") {
            if !arguments.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            if isOp("*") || isOp("**") {
                throw JinjaError.unsupported("*args / **kwargs in calls", line: line)
            }
            if case .name(let name) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                next()
                next()
                arguments.append(.named(name, try parseExpression()))
            } else {
                arguments.append(.positional(try parseExpression()))
            }
        }
        next()
        return arguments
    }

    func isName(_ name: String) -> Bool { current.kind == .name(name) }
    func isOp(_ op: String) -> Bool { current.kind == .op(op) }

    mutating func expect(_ kind: TokenKind, _ what: String) throws {
        guard current.kind == kind else {
            throw JinjaError.syntax("expected \(what), got \(describe(current.kind))", line: line)
        }
        next()
    }

    mutating func expectOp(_ op: String) throws { try expect(.op(op), "'\(op)'") }

    mutating func expectName(_ name: String) throws { try expect(.name(name), "'\(name)'") }

    mutating func expectAnyName() throws -> String {
        guard case .name(let name) = current.kind else {
            throw JinjaError.syntax("expected a name, got \(describe(current.kind))", line: line)
        }
        next()
        return name
    }

    func describe(_ kind: TokenKind) -> String {
        switch kind {
        case .text: return "template text"
        case .variableStart: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockStart: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .integer(let i): return "'\(i)'"
        case .float(let d): return "'\(d)'"
        case .op(let o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }
}
