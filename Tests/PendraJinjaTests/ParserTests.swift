import XCTest
@testable import PendraJinja

final class ParserTests: XCTestCase {
    private func parse(_ source: String) throws -> [Node] {
        try Parser.parse(try Lexer.tokenize(source))
    }

    func testIfElifElseStructure() throws {
        let nodes = try parse("{% if a %}1{% elif b %}2{% else %}3{% endif %}")
        guard case .ifBlock(let branches, let otherwise)? = nodes.first else { return XCTFail("not an if") }
        XCTAssertEqual(branches.count, 2)
        XCTAssertEqual(otherwise.count, 1)
    }

    func testFilterBindsTighterThanPlus() throws {
        let nodes = try parse("{{ 'a' + x|upper }}")
        guard case .output(.binary("+", _, .filter(_, let filter), _))? = nodes.first else {
            return XCTFail("unexpected tree \(nodes)")
        }
        XCTAssertEqual(filter.name, "upper")
    }

    func testTestWithBareArgument() throws {
        let nodes = try parse("{{ n is divisibleby 3 }}")
        guard case .output(.test(_, let name, let arguments, false, _))? = nodes.first else {
            return XCTFail("unexpected tree \(nodes)")
        }
        XCTAssertEqual(name, "divisibleby")
        XCTAssertEqual(arguments.count, 1)
    }

    func testForWithFilterAndElse() throws {
        let nodes = try parse("{% for k, v in d if v %}{{ k }}{% else %}none{% endfor %}")
        guard case .forLoop(let loop)? = nodes.first, case .tuple(let names) = loop.target else {
            return XCTFail("not a for loop")
        }
        XCTAssertEqual(names, ["k", "v"])
        XCTAssertNotNil(loop.filter)
        XCTAssertEqual(loop.otherwise.count, 1)
    }

    func testMissingEndTagReportsLine() {
        XCTAssertThrowsError(try parse("{% for x in y %}\n{{ x }}\n")) { error in
            guard case .syntax(let message, let line)? = error as? JinjaError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("endfor"), message)
            XCTAssertEqual(line, 3)
        }
    }

    func testBadExpressionReportsLine() {
        XCTAssertThrowsError(try parse("ok\n\n{{ 1 + }}")) { error in
            guard case .syntax(_, let line)? = error as? JinjaError else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 3)
        }
    }

    func testUnknownTagIsSyntaxError() {
        XCTAssertThrowsError(try parse("{% frobnicate %}")) { error in
            XCTAssertEqual(error as? JinjaError, .syntax("Encountered unknown tag 'frobnicate'", line: 1))
        }
    }

    func testUnsupportedConstructsSayWhat() {
        for source in ["{% include 'x.j2' %}", "{% extends 'base' %}", "{% for x in y recursive %}{% endfor %}",
                       "{{ f(*args) }}"] {
            XCTAssertThrowsError(try parse(source), source) { error in
                guard case .unsupported? = error as? JinjaError else { return XCTFail("\(source): \(error)") }
            }
        }
    }
}
