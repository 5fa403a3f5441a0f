import XCTest
@testable import PendraEngine

/// Snippets quoted from the templates in llama.cpp's models/templates/.
final class ToolCallFormatTests: XCTestCase {
    func testDetectsEachFormatFromRealTemplateLines() {
        let qwen = #"{{- '\n<tool_call>\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}"#
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: qwen), .hermes)
        let qwenEscaped = #"return a json object within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>"#
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: qwenEscaped), .hermes)

        let llama = """
        {{- "Environment: ipython\\n" }}
        {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
        """
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: llama), .llama3JSON)

        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: #"{{- "[TOOL_CALLS][" }}"#), .mistral)
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: #"{{- '[TOOL_CALLS]' + tool_call.function.name }}"#), .mistral)
    }

    func testHermesWithParametersIsStillHermes() {
        // Hermes-2-Pro's template says both <tool_call> and "parameters".
        let t = #"<tool_call>\n{"name": <function-name>, "arguments": <args-dict>}\n</tool_call> "parameters": ipython"#
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: t), .hermes)
    }

    func testXMLStyleToolCallTemplatesAreNotHermes() {
        // <tool_call> with XML inside: Qwen3-Coder needs <parameter=> too, GLM has <arg_key>.
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: "<tool_call>\n<function=example_function_name>"), .none)
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: "<tool_call>\n<function=f>\n<parameter=x>"), .qwenXML)
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: "<tool_call>{function-name}\n<arg_key>"), .glm)
    }

    func testNoMarkersMeansNone() {
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: nil), .none)
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: ""), .none)
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: "{% for m in messages %}{{ m.content }}{% endfor %}"), .none)
        // Cohere mentions "parameters" without ipython; functionary says ipython without it.
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: #""parameters": tool.parameter_definitions"#), .none)
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: "<|start_header_id|>ipython<|end_header_id|> <function="), .none)
    }
}
