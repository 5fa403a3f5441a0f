/// Splits a template into text and tag tokens, applying jinja2's whitespace rules as
/// Hugging Face configures them: `trim_blocks` (drop the newline after a block or
/// comment tag), `lstrip_blocks` (drop indentation before one), and the `-`/`+` markers.
/// Works on UTF-8 bytes: every delimiter is ASCII, and byte indexing keeps it linear.
struct Lexer {
    let bytes: [UInt8]
    var pos = 0
    var line = 1
    private var tokens: [Token] = []
    let trimBlocks: Bool
    let lstripBlocks: Bool

    init(_ source: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) {
        bytes = Array(source.utf8)
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
    }

    static func tokenize(_ source: String) throws -> [Token] {
        var lexer = Lexer(source)
        return try lexer.run()
    }

    mutating func run() throws -> [Token] {
        while pos < bytes.count {
            let start = pos
            guard let open = findTagOpen(from: pos) else {
                emitText(start, bytes.count)
                advance(to: bytes.count)
                break
            }
            let kind = bytes[open + 1]
            let sign: UInt8? = open + 2 < bytes.count && (bytes[open + 2] == .minus || bytes[open + 2] == .plus)
                ? bytes[open + 2] : nil
            let textEnd = strippedTextEnd(start: start, open: open, isVariable: kind == .lbrace, sign: sign)
            emitText(start, textEnd)
            advance(to: open)
            let inner = open + 2 + (sign == nil ? 0 : 1)
            switch kind {
            case .hash: try skipComment(from: inner)
            case .percent:
                if try lexRaw(from: inner) { continue }
                tokens.append(Token(kind: .blockStart, line: line))
                advance(to: inner)
                try lexExpression(isBlock: true)
            default:
                tokens.append(Token(kind: .variableStart, line: line))
                advance(to: inner)
                try lexExpression(isBlock: false)
            }
        }
        tokens.append(Token(kind: .eof, line: line))
        return tokens
    }

    /// The next `{{`, `{%` or `{#`.
    private func findTagOpen(from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == .lbrace, bytes[i + 1] == .lbrace || bytes[i + 1] == .percent || bytes[i + 1] == .hash {
                return i
            }
            i += 1
        }
        return nil
    }

    /// Where the text before a tag ends once `-` or lstrip_blocks has removed whitespace.
    private func strippedTextEnd(start: Int, open: Int, isVariable: Bool, sign: UInt8?) -> Int {
        var end = open
        if sign == .minus {
            while end > start, bytes[end - 1].isSpace { end -= 1 }
            return end
        }
        guard sign != .plus, lstripBlocks, !isVariable else { return end }
        var lineStart = open
        while lineStart > start, bytes[lineStart - 1] != .newline { lineStart -= 1 }
        // Only at the start of a line: after a newline in this text, or when the
        // previous tag's end consumed one (or this is the template's start).
        let atLineStart = lineStart > start || start == 0 || bytes[start - 1] == .newline
        guard atLineStart, lineStart < open, bytes[lineStart..<open].allSatisfy({ $0.isSpace }) else { return end }
        end = lineStart
        return end
    }

    private mutating func emitText(_ from: Int, _ to: Int) {
        guard to > from else { return }
        tokens.append(Token(kind: .text(String(decoding: bytes[from..<to], as: UTF8.self)), line: line))
    }

    mutating func advance(to target: Int) {
        while pos < target {
            if bytes[pos] == .newline { line += 1 }
            pos += 1
        }
    }

    /// After a block or comment end: `-` eats all whitespace, trim_blocks one newline.
    private mutating func skipAfterTagEnd(stripSign: Bool, isBlock: Bool) {
        if stripSign {
            var i = pos
            while i < bytes.count, bytes[i].isSpace { i += 1 }
            advance(to: i)
        } else if isBlock, trimBlocks, pos < bytes.count, bytes[pos] == .newline {
            advance(to: pos + 1)
        }
    }

    private mutating func skipComment(from inner: Int) throws {
        var i = inner
        while i + 1 < bytes.count, !(bytes[i] == .hash && bytes[i + 1] == .rbrace) { i += 1 }
        guard i + 1 < bytes.count else { throw JinjaError.syntax("unterminated comment", line: line) }
        let strip = i > inner && bytes[i - 1] == .minus
        let plus = i > inner && bytes[i - 1] == .plus
        advance(to: i + 2)
        if !plus { skipAfterTagEnd(stripSign: strip, isBlock: true) }
    }

    /// `{% raw %}...{% endraw %}` becomes one text token, markers and all.
    private mutating func lexRaw(from inner: Int) throws -> Bool {
        var i = skipSpaces(inner)
        guard matches("raw", at: i), !(bytes.count > i + 3 && bytes[i + 3].isNameByte) else { return false }
        i = skipSpaces(i + 3)
        var stripStart = false
        if i < bytes.count, bytes[i] == .minus { stripStart = true; i += 1 }
        guard matches("%}", at: i) else { return false }
        advance(to: i + 2)
        if stripStart { skipAfterTagEnd(stripSign: true, isBlock: true) }
        let bodyStart = pos
        var j = pos
        while j + 1 < bytes.count {
            if bytes[j] == .lbrace, bytes[j + 1] == .percent {
                var k = j + 2
                let sign: UInt8? = k < bytes.count && (bytes[k] == .minus || bytes[k] == .plus) ? bytes[k] : nil
                if sign != nil { k += 1 }
                k = skipSpaces(k)
                if matches("endraw", at: k) {
                    k = skipSpaces(k + 6)
                    var endStrip = false
                    if k < bytes.count, bytes[k] == .minus || bytes[k] == .plus { endStrip = bytes[k] == .minus; k += 1 }
                    guard matches("%}", at: k) else { break }
                    var bodyEnd = j
                    if sign == .minus { while bodyEnd > bodyStart, bytes[bodyEnd - 1].isSpace { bodyEnd -= 1 } }
                    emitText(bodyStart, bodyEnd)
                    advance(to: k + 2)
                    skipAfterTagEnd(stripSign: endStrip, isBlock: true)
                    return true
                }
            }
            j += 1
        }
        throw JinjaError.syntax("missing endraw for raw block", line: line)
    }

    private func skipSpaces(_ from: Int) -> Int {
        var i = from
        while i < bytes.count, bytes[i].isSpace { i += 1 }
        return i
    }

    private func matches(_ word: String, at index: Int) -> Bool {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count else { return false }
        return bytes[index..<(index + w.count)].elementsEqual(w)
    }

    /// Expression tokens up to the closing `%}` / `}}`. Closing delimiters inside
    /// brackets belong to dict literals, as in jinja2's balancing stack.
    private mutating func lexExpression(isBlock: Bool) throws {
        var depth = 0
        let close: UInt8 = isBlock ? .percent : .rbrace
        while true {
            advance(to: skipSpaces(pos))
            guard pos < bytes.count else {
                throw JinjaError.syntax("unexpected end of template, expected '\(isBlock ? "%}" : "}}")'", line: line)
            }
            if depth == 0 {
                let strip = bytes[pos] == .minus || bytes[pos] == .plus
                let at = strip ? pos + 1 : pos
                if at + 1 < bytes.count, bytes[at] == close, bytes[at + 1] == .rbrace {
                    tokens.append(Token(kind: isBlock ? .blockEnd : .variableEnd, line: line))
                    advance(to: at + 2)
                    if !(strip && bytes[at - 1] == .plus) {
                        skipAfterTagEnd(stripSign: strip, isBlock: isBlock)
                    }
                    return
                }
            }
            let token = try lexOne()
            if case .op(let o) = token {
                if o == "(" || o == "[" || o == "{" { depth += 1 }
                if o == ")" || o == "]" || o == "}" { depth -= 1 }
            }
            tokens.append(Token(kind: token, line: line))
        }
    }

    private mutating func lexOne() throws -> TokenKind {
        let c = bytes[pos]
        if c.isNameStart {
            var i = pos
            while i < bytes.count, bytes[i].isNameByte { i += 1 }
            defer { advance(to: i) }
            return .name(String(decoding: bytes[pos..<i], as: UTF8.self))
        }
        if c.isDigit { return try lexNumber() }
        if c == .quote || c == .apostrophe { return try lexString(quote: c) }
        let two = pos + 1 < bytes.count ? String(decoding: bytes[pos...(pos + 1)], as: UTF8.self) : ""
        if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
            advance(to: pos + 2)
            return .op(two)
        }
        if Array("+-*/%~()[]{},.:|=<>;!".utf8).contains(c) {
            advance(to: pos + 1)
            return .op(String(UnicodeScalar(c)))
        }
        throw JinjaError.syntax("unexpected character '\(String(UnicodeScalar(c)))'", line: line)
    }
}
