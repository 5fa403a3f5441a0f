import XCTest
@testable import PendraJinja

final class LexerTests: XCTestCase {
    private func kinds(_ source: String) throws -> [TokenKind] {
        try Lexer.tokenize(source).map(\.kind)
    }

    func testTextAndTags() throws {
        XCTAssertEqual(try kinds("a{{ x }}b"), [
            .text("a"), .variableStart, .name("x"), .variableEnd, .text("b"), .eof,
        ])
    }

    func testOperatorsAndLiterals() throws {
        XCTAssertEqual(try kinds("{{ a // 2 ** 1.5e1 != 'x\\n' }}"), [
            .variableStart, .name("a"), .op("//"), .integer(2), .op("**"), .float(15), .op("!="),
            .string("x\n"), .variableEnd, .eof,
        ])
    }

    func testTrimBlocksRemovesOneNewline() throws {
        XCTAssertEqual(try kinds("{% if x %}\n\nA"), [
            .blockStart, .name("if"), .name("x"), .blockEnd, .text("\nA"), .eof,
        ])
    }

    func testLstripOnlyAtLineStart() throws {
        // Indentation before a block tag goes; text before it on the same line stays.
        XCTAssertEqual(try kinds("  {% x %}")[0], .blockStart)
        XCTAssertEqual(try kinds("a  {% x %}")[0], .text("a  "))
        XCTAssertEqual(try kinds("  {{ x }}")[0], .text("  "))
    }

    func testDashStripsAllWhitespace() throws {
        XCTAssertEqual(try kinds("a \n {{- x -}} \n b"), [
            .text("a"), .variableStart, .name("x"), .variableEnd, .text("b"), .eof,
        ])
    }

    func testDictLiteralBracesDoNotCloseTag() throws {
        let tokens = try kinds("{{ {'a': {'b': 1}} }}")
        XCTAssertEqual(tokens.last, .eof)
        XCTAssertEqual(tokens[tokens.count - 2], .variableEnd)
    }

    func testRawBlockIsText() throws {
        XCTAssertEqual(try kinds("{% raw %}{{ x }}{% endraw %}"), [.text("{{ x }}"), .eof])
    }

    func testCommentsDisappear() throws {
        XCTAssertEqual(try kinds("a{# note {{ x }} #}b"), [.text("a"), .text("b"), .eof])
    }

    func testLineNumbersAreTracked() throws {
        let tokens = try Lexer.tokenize("a\nb\n{{ x }}")
        XCTAssertEqual(tokens.first { $0.kind == .name("x") }?.line, 3)
    }

    func testUnterminatedTagIsSyntaxError() {
        XCTAssertThrowsError(try Lexer.tokenize("line1\n{{ x")) { error in
            XCTAssertEqual(error as? JinjaError, .syntax("unexpected end of template, expected '}}'", line: 2))
        }
        XCTAssertThrowsError(try Lexer.tokenize("{{ 'open }}"))
        XCTAssertThrowsError(try Lexer.tokenize("{# never closed"))
    }

    func testStringEscapes() {
        XCTAssertEqual(Lexer.unescape("a\\tb\\u00e9\\x41\\d"), "a\tbéA\\d")
    }
}
