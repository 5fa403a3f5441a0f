/// Expression grammar, with jinja2's precedence: conditional < or < and < not <
/// comparisons < `+ -` < `~` < `* / // %` < `**` < unary < postfix / filters / tests.
extension Parser {
    mutating func parseTuple() throws -> Expr {
        let first = try parseExpression()
        guard isOp(",") else { return first }
        var items = [first]
        while isOp(",") {
            next()
            if atExpressionEnd { break }
            items.append(try parseExpression())
        }
        return .tuple(items)
    }

    private var atExpressionEnd: Bool {
        switch current.kind {
        case .blockEnd, .variableEnd, .eof: return true
        case .op(let o): return o == ")" || o == "]" || o == "}"
        default: return false
        }
    }

    mutating func parseExpression() throws -> Expr {
        var expr = try parseOr()
        while isName("if") {
            next()
            let condition = try parseOr()
            var otherwise: Expr?
            if isName("else") {
                next()
                otherwise = try parseExpression()
            }
            expr = .conditional(condition: condition, then: expr, otherwise: otherwise)
        }
        return expr
    }

    mutating func parseOr() throws -> Expr {
        var expr = try parseAnd()
        while isName("or") { next(); expr = .or(expr, try parseAnd()) }
        return expr
    }

    private mutating func parseAnd() throws -> Expr {
        var expr = try parseNot()
        while isName("and") { next(); expr = .and(expr, try parseNot()) }
        return expr
    }

    private mutating func parseNot() throws -> Expr {
        try enter()
        defer { depth -= 1 }
        if isName("not") { next(); return .not(try parseNot()) }
        return try parseCompare()
    }

    /// Python chains comparisons: `a < b < c` means `a < b and b < c`.
    private mutating func parseCompare() throws -> Expr {
        var left = try parseBinary(level: 0)
        var chain: Expr?
        while true {
            let startLine = line
            let op: String
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                next()
                op = o
            } else if isName("in") {
                next()
                op = "in"
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                next()
                next()
                op = "not in"
            } else {
                return chain ?? left
            }
            let right = try parseBinary(level: 0)
            let comparison = Expr.binary(op, left, right, line: startLine)
            chain = chain.map { .and($0, comparison) } ?? comparison
            left = right
        }
    }

    private static let levels: [[String]] = [["+", "-"], ["~"], ["*", "/", "//", "%"], ["**"]]

    private mutating func parseBinary(level: Int) throws -> Expr {
        guard level < Parser.levels.count else { return try parseUnary(withFilter: true) }
        var expr = try parseBinary(level: level + 1)
        while case .op(let o) = current.kind, Parser.levels[level].contains(o) {
            let startLine = line
            next()
            expr = .binary(o, expr, try parseBinary(level: level + 1), line: startLine)
        }
        return expr
    }

    private mutating func parseUnary(withFilter: Bool) throws -> Expr {
        let startLine = line
        try enter()
        defer { depth -= 1 }
        var expr: Expr
        if isOp("-") || isOp("+") {
            let op = isOp("-") ? "-" : "+"
            next()
            expr = .unary(op, try parseUnary(withFilter: false), line: startLine)
        } else {
            expr = try parsePrimary()
        }
        expr = try parsePostfix(expr)
        return withFilter ? try parseFilterExpr(expr) : expr
    }

    mutating func parsePrimary() throws -> Expr {
        let startLine = line
        let token = current
        next()
        switch token.kind {
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name, line: startLine)
            }
        case .string(var text):
            while case .string(let more) = current.kind { text += more; next() }
            return .literal(.string(text))
        case .integer(let i): return .literal(.int(i))
        case .float(let d): return .literal(.double(d))
        case .op("("):
            if isOp(")") { next(); return .tuple([]) }
            let inner = try parseTuple()
            try expectOp(")")
            return inner
        case .op("["):
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            next()
            return .list(items)
        case .op("{"):
            var pairs: [(key: Expr, value: Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            next()
            return .dict(pairs)
        default:
            throw JinjaError.syntax("unexpected \(describe(token.kind))", line: startLine)
        }
    }

    mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var expr = base
        while true {
            let startLine = line
            if isOp(".") {
                next()
                switch current.kind {
                case .name(let name): next(); expr = .attribute(expr, name, line: startLine)
                case .integer(let i): next(); expr = .item(expr, .literal(.int(i)), line: startLine)
                default: throw JinjaError.syntax("expected an attribute name after '.'", line: startLine)
                }
            } else if isOp("[") {
                next()
                expr = try parseSubscript(expr, line: startLine)
            } else if isOp("(") {
                expr = .call(expr, try parseArguments(), line: startLine)
            } else {
                return expr
            }
        }
    }

    private mutating func parseSubscript(_ base: Expr, line startLine: Int) throws -> Expr {
        var parts: [Expr?] = [nil]
        var isSlice = false
        while !isOp("]") {
            if isOp(":") {
                isSlice = true
                parts.append(nil)
                next()
                guard parts.count <= 3 else { throw JinjaError.syntax("too many ':' in slice", line: startLine) }
            } else {
                guard parts[parts.count - 1] == nil else { throw JinjaError.syntax("expected ']'", line: line) }
                parts[parts.count - 1] = try parseExpression()
            }
        }
        next()
        if !isSlice {
            guard let index = parts[0] else { throw JinjaError.syntax("empty subscript", line: startLine) }
            return .item(base, index, line: startLine)
        }
        let step: Expr? = parts.count > 2 ? parts[2] : nil
        return .slice(base, start: parts[0], stop: parts[1], step: step, line: startLine)
    }
}
