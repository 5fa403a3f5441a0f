import Foundation
import XCTest
@testable import PendraEngine

/// Fixed, counting ids so expected calls can be written out in full.
final class SequentialIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> String {
        lock.lock(); defer { lock.unlock() }
        n += 1
        return "call_\(n)"
    }
}

enum ToolFixtures {
    static let weather = ChatTool(name: "get_weather", description: nil, parameters: [
        "type": "object", "properties": ["city": ["type": "string"]], "required": ["city"],
    ])
    static let time = ChatTool(name: "get_time", description: nil, parameters: ["type": "object", "properties": [:]])
    static let all = [weather, time]

    static func parser() -> ToolCallParser {
        let ids = SequentialIDs()
        return ToolCallParser(makeID: { ids.next() })
    }
}

final class ToolCallParserTests: XCTestCase {
    private let tools = ToolFixtures.all

    private func parse(_ text: String, _ format: ToolCallFormat) -> (content: String, calls: [ChatToolCall]) {
        ToolFixtures.parser().parse(text, format: format, tools: tools)
    }

    private func assertPlain(_ text: String, _ format: ToolCallFormat, file: StaticString = #filePath, line: UInt = #line) {
        let r = parse(text, format)
        XCTAssertEqual(r.calls, [], file: file, line: line)
        XCTAssertEqual(r.content, text, file: file, line: line)
    }

    // MARK: Hermes

    func testHermesSingleCallWithLeadingText() {
        let r = parse("Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", .hermes)
        XCTAssertEqual(r.content, "Let me look.")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)])
    }

    func testHermesSeveralCalls() {
        let text = """
        <tool_call>
        {"name": "get_weather", "arguments": {"city": "Oslo"}}
        </tool_call>
        <tool_call>
        {"name": "get_time", "arguments": {}}
        </tool_call>
        """
        let r = parse(text, .hermes)
        XCTAssertEqual(r.content, "")
        XCTAssertEqual(r.calls.map(\.name), ["get_weather", "get_time"])
        XCTAssertEqual(r.calls.map(\.arguments), [#"{"city":"Oslo"}"#, "{}"])
        XCTAssertEqual(r.calls.map(\.id), ["call_1", "call_2"])
    }

    func testHermesClosingTagInsideArgumentString() {
        let text = #"<tool_call>{"name": "get_weather", "arguments": {"city": "a</tool_call>b"}}</tool_call>"#
        let r = parse(text, .hermes)
        XCTAssertEqual(r.calls.count, 1)
        XCTAssertEqual(r.calls.first?.arguments, #"{"city":"a</tool_call>b"}"#)
        XCTAssertEqual(r.content, "")
    }

    func testHermesUnknownToolStaysText() {
        let text = #"<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>"#
        assertPlain(text, .hermes)
    }

    func testHermesUnknownBlockKeptBesideKnownOne() {
        let bad = #"<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>"#
        let good = #"<tool_call>{"name": "get_time", "arguments": {}}</tool_call>"#
        let r = parse(bad + "\n" + good, .hermes)
        XCTAssertEqual(r.calls.map(\.name), ["get_time"])
        XCTAssertEqual(r.content, bad)
    }

    func testHermesTruncatedAndMalformed() {
        assertPlain(#"<tool_call>{"name": "get_weather", "arguments": {"city": "Par"#, .hermes)
        assertPlain(#"<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}"#, .hermes)
        assertPlain(#"<tool_call>{"name": "get_weather", "arguments": {"city": Paris}}</tool_call>"#, .hermes)
        assertPlain(#"<tool_call>get_weather(city="Paris")</tool_call>"#, .hermes)
        assertPlain(#"<tool_call>{"name": "get_weather", "arguments": [1]}</tool_call>"#, .hermes)
        assertPlain("<tool_call>", .hermes)
    }

    func testHermesStringEncodedArguments() {
        let text = #"<tool_call>{"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}</tool_call>"#
        XCTAssertEqual(parse(text, .hermes).calls.first?.arguments, #"{"city":"Rome"}"#)
    }

    // MARK: Llama 3

    func testLlama3SingleCallWithAndWithoutPythonTag() {
        for text in [#"{"name": "get_weather", "parameters": {"city": "Lima"}}"#,
                     "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}\n"] {
            let r = parse(text, .llama3JSON)
            XCTAssertEqual(r.content, "")
            XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Lima"}"#)])
        }
    }

    func testLlama3SeveralCallsSeparatedBySemicolon() {
        let r = parse(#"{"name": "get_time", "parameters": {}}; {"name": "get_weather", "parameters": {"city": "Bern"}}"#, .llama3JSON)
        XCTAssertEqual(r.calls.map(\.name), ["get_time", "get_weather"])
    }

    func testLlama3TextOrUnknownOrTruncatedIsPlain() {
        assertPlain(#"Sure: {"name": "get_time", "parameters": {}}"#, .llama3JSON)
        assertPlain(#"{"name": "get_time", "parameters": {}} and more"#, .llama3JSON)
        assertPlain(#"{"name": "nope", "parameters": {}}"#, .llama3JSON)
        assertPlain(#"{"name": "get_time", "parameters": {}}; {"name": "nope", "parameters": {}}"#, .llama3JSON)
        assertPlain(#"{"name": "get_weather", "parameters": {"city": "#, .llama3JSON)
        assertPlain(#"{"answer": 42}"#, .llama3JSON)
    }

    // MARK: Mistral

    func testMistralArrayForm() {
        let text = #"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Nice"}}, {"name": "get_time", "arguments": {}}]"#
        let r = parse(text, .mistral)
        XCTAssertEqual(r.content, "")
        XCTAssertEqual(r.calls.map(\.name), ["get_weather", "get_time"])
        XCTAssertEqual(r.calls.first?.arguments, #"{"city":"Nice"}"#)
    }

    func testMistralNamedFormRepeatedAndWithCallID() {
        let text = #"Checking.[TOOL_CALLS]get_weather[ARGS]{"city": "Nice"}[TOOL_CALLS]get_time[CALL_ID]a1b2c3d4e[ARGS]{}"#
        let r = parse(text, .mistral)
        XCTAssertEqual(r.content, "Checking.")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Nice"}"#),
                                 ChatToolCall(id: "call_2", name: "get_time", arguments: "{}")])
    }

    func testMistralMalformedIsPlain() {
        assertPlain(#"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Ni"#, .mistral)
        assertPlain(#"[TOOL_CALLS][{"name": "get_weather", "arguments": {}}, {"name": "nope", "arguments": {}}]"#, .mistral)
        assertPlain(#"[TOOL_CALLS]nope[ARGS]{}"#, .mistral)
        assertPlain(#"[TOOL_CALLS]get_time[ARGS]{"#, .mistral)
        assertPlain(#"[TOOL_CALLS]get_time{}"#, .mistral)
        assertPlain(#"[TOOL_CALLS][]"#, .mistral)
    }

    // MARK: Everything else

    func testNoToolsOrNoFormatMeansPlainText() {
        let text = #"<tool_call>{"name": "get_time", "arguments": {}}</tool_call>"#
        XCTAssertEqual(ToolFixtures.parser().parse(text, format: .hermes, tools: []).calls, [])
        assertPlain(text, .none)
        assertPlain("just words", .hermes)
    }

    func testRandomIDShape() {
        let id = ToolCallParser.randomID()
        XCTAssertTrue(id.hasPrefix("call_"))
        let rest = id.dropFirst(5)
        XCTAssertEqual(rest.count, 24)
        XCTAssertTrue(rest.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        XCTAssertNotEqual(ToolCallParser.randomID(), ToolCallParser.randomID())
    }
}
