import XCTest
@testable import PendraEngine

final class ToolCallParserXMLTests: XCTestCase {
    private let search = ChatTool(name: "search", description: nil, parameters: [
        "type": "object",
        "properties": ["query": ["type": "string"], "limit": ["type": "integer"], "filters": ["type": "object"]],
        "required": ["query"],
    ])

    private func parse(_ text: String) -> (content: String, calls: [ChatToolCall]) {
        ToolFixtures.parser().parse(text, format: .qwenXML, tools: [search])
    }

    func testParametersAreTypedByTheSchemaAndKeepTheirOrder() {
        let r = parse("Looking.\n<tool_call>\n<function=search>\n<parameter=limit>\n5\n</parameter>\n<parameter=query>\n42\n</parameter>\n"
                      + "<parameter=filters>\n{\"a\": 2}\n</parameter>\n</function>\n</tool_call>")
        XCTAssertEqual(r.content, "Looking.")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "search", arguments: #"{"limit":5,"query":"42","filters":{"a":2}}"#)])
    }

    func testMultiLineStringValuesAndParallelCalls() {
        let one = "<tool_call>\n<function=search>\n<parameter=query>\nline 1\nline 2\n</parameter>\n</function>\n</tool_call>"
        let r = parse(one + "\n" + one)
        XCTAssertEqual(r.calls.count, 2)
        XCTAssertEqual(r.calls[0].arguments, #"{"query":"line 1\nline 2"}"#)
        XCTAssertEqual(r.content, "")
    }

    func testUnknownToolOrUnclosedBlockStaysText() {
        let unknown = "<tool_call>\n<function=nope>\n</function>\n</tool_call>"
        XCTAssertEqual(parse(unknown).calls, [])
        XCTAssertEqual(parse(unknown).content, unknown)
        let cut = "<tool_call>\n<function=search>\n<parameter=query>\nab"
        XCTAssertEqual(parse(cut).content, cut)
    }

    func testDetectedFromQwen3CoderStyleTemplates() {
        let t = "<tool_call>\n<function=example>\n<parameter=x>\nvalue\n</parameter>\n</function>\n</tool_call>"
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: t), .qwenXML)
    }

    func testForcedGrammarNamesTheFunctionAndRequiredParameters() throws {
        let g = try JSONSchemaGrammar.toolCallGBNF(tools: [search], format: .qwenXML, forced: "search")
        XCTAssertTrue(g.contains(#""<tool_call>\n<function=search>\n""#), g)
        XCTAssertTrue(g.contains(#""<parameter=query>\n""#), g)
        XCTAssertTrue(g.contains(#"( "<parameter=limit>\n""#) || g.contains(#"("<parameter=limit>\n""#), g)
    }
}
