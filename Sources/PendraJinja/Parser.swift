/// Turns the token stream into `Node`s: the statement half of jinja2's parser.
/// Expression parsing lives in Parser+Expressions.swift.
struct Parser {
    var tokens: [Token]
    var index = 0
    /// Nesting of statements and expressions; bounded so hostile input cannot
    /// overflow the stack of the (recursive-descent) parser or interpreter.
    var depth = 0
    static let maxDepth = 100

    mutating func enter() throws {
        depth += 1
        guard depth <= Parser.maxDepth else {
            throw JinjaError.syntax("template nests deeper than \(Parser.maxDepth) levels", line: line)
        }
    }

    static func parse(_ tokens: [Token]) throws -> [Node] {
        var parser = Parser(tokens: tokens)
        return try parser.parseBody(until: []).nodes
    }

    var current: Token { tokens[min(index, tokens.count - 1)] }
    var line: Int { current.line }
    mutating func next() { if index < tokens.count - 1 { index += 1 } }

    /// Parses nodes until a block tag named in `ends`; returns that name, having
    /// consumed `{%` and the name (the caller parses the rest of the tag).
    mutating func parseBody(until ends: Set<String>) throws -> (nodes: [Node], end: String) {
        var nodes: [Node] = []
        while true {
            switch current.kind {
            case .text(let text):
                nodes.append(.text(text))
                next()
            case .variableStart:
                next()
                let expr = try parseTuple()
                try expect(.variableEnd, "'}}'")
                nodes.append(.output(expr))
            case .blockStart:
                guard index + 1 < tokens.count, case .name(let keyword) = tokens[index + 1].kind else {
                    throw JinjaError.syntax("expected a statement name after '{%'", line: line)
                }
                next()
                next()
                if ends.contains(keyword) { return (nodes, keyword) }
                nodes.append(try parseStatement(keyword))
            case .eof:
                if ends.isEmpty { return (nodes, "") }
                let expected = ends.sorted().map { "'\($0)'" }.joined(separator: " or ")
                throw JinjaError.syntax("unexpected end of template, expected \(expected)", line: line)
            default:
                throw JinjaError.syntax("unexpected token \(current.kind)", line: line)
            }
        }
    }

    private mutating func parseStatement(_ keyword: String) throws -> Node {
        let startLine = line
        try enter()
        defer { depth -= 1 }
        switch keyword {
        case "if": return try parseIf()
        case "for": return try parseFor()
        case "set": return try parseSet()
        case "macro": return try parseMacro()
        case "call": return try parseCallBlock()
        case "filter":
            let filters = try parseFilterChain()
            try expect(.blockEnd, "'%}'")
            return .filterBlock(filters: filters, body: try parseEnd("endfilter"))
        case "break", "continue":
            try expect(.blockEnd, "'%}'")
            return keyword == "break" ? .breakLoop(line: startLine) : .continueLoop(line: startLine)
        case "generation":
            try expect(.blockEnd, "'%}'")
            return .block(try parseEnd("endgeneration"))
        case "include", "extends", "block", "import", "from", "with", "autoescape", "trans":
            throw JinjaError.unsupported("the '\(keyword)' tag", line: startLine)
        default:
            throw JinjaError.syntax("Encountered unknown tag '\(keyword)'", line: startLine)
        }
    }

    /// Body up to `{% end %}`, with that closing tag consumed.
    private mutating func parseEnd(_ end: String) throws -> [Node] {
        let body = try parseBody(until: [end]).nodes
        try expect(.blockEnd, "'%}'")
        return body
    }

    private mutating func parseIf() throws -> Node {
        var branches: [(condition: Expr, body: [Node])] = []
        var condition = try parseExpression()
        try expect(.blockEnd, "'%}'")
        while true {
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseExpression()
                try expect(.blockEnd, "'%}'")
            case "else":
                try expect(.blockEnd, "'%}'")
                return .ifBlock(branches: branches, otherwise: try parseEnd("endif"))
            default:
                try expect(.blockEnd, "'%}'")
                return .ifBlock(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor() throws -> Node {
        let startLine = line
        let target = try parseTarget()
        try expectName("in")
        let iterable = try parseOr()
        var filter: Expr?
        if isName("if") {
            next()
            filter = try parseExpression()
        }
        if isName("recursive") { throw JinjaError.unsupported("recursive for loops", line: line) }
        try expect(.blockEnd, "'%}'")
        let (body, end) = try parseBody(until: ["else", "endfor"])
        try expect(.blockEnd, "'%}'")
        let otherwise = end == "else" ? try parseEnd("endfor") : []
        return .forLoop(ForLoop(target: target, iterable: iterable, filter: filter, body: body,
                                otherwise: otherwise, line: startLine))
    }

    private mutating func parseSet() throws -> Node {
        let target = try parseTarget()
        if isOp("=") {
            next()
            let value = try parseTuple()
            try expect(.blockEnd, "'%}'")
            return .set(target: target, value: value)
        }
        var filters: [FilterCall] = []
        if isOp("|") { filters = try parseFilterChain() }
        try expect(.blockEnd, "'%}'")
        return .setBlock(target: target, filters: filters, body: try parseEnd("endset"))
    }

    private mutating func parseMacro() throws -> Node {
        let name = try expectAnyName()
        let parameters = try parseParameters()
        try expect(.blockEnd, "'%}'")
        return .macro(MacroDefinition(name: name, parameters: parameters, body: try parseEnd("endmacro")))
    }

    private mutating func parseCallBlock() throws -> Node {
        let parameters = isOp("(") ? try parseParameters() : []
        let startLine = line
        let call = try parseExpression()
        guard case .call = call else { throw JinjaError.syntax("expected a call after 'call'", line: startLine) }
        try expect(.blockEnd, "'%}'")
        return .callBlock(call: call, parameters: parameters, body: try parseEnd("endcall"))
    }

    private mutating func parseParameters() throws -> [Parameter] {
        try expectOp("(")
        var parameters: [Parameter] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectAnyName()
            var defaultValue: Expr?
            if isOp("=") {
                next()
                defaultValue = try parseExpression()
            }
            parameters.append(Parameter(name: name, defaultValue: defaultValue))
        }
        next()
        return parameters
    }

    private mutating func parseTarget() throws -> Target {
        let first = try expectAnyName()
        if isOp(".") {
            next()
            return .attribute(first, try expectAnyName())
        }
        var names = [first]
        while isOp(",") {
            next()
            names.append(try expectAnyName())
        }
        return names.count == 1 ? .name(first) : .tuple(names)
    }
}
