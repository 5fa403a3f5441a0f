import Foundation
import XCTest
@testable import PendraEngine

/// Key order through the prompt (issue 13, item 5): a client's tool schema
/// reaches the template in the client's order, and the arguments a model
/// wrote come back in the next turn's prompt byte for byte, so the agent's
/// next prompt extends the cached one. Rendered with the real templates of
/// the two test models' families from llama.cpp's corpus.
final class ChatTemplateOrderTests: XCTestCase {
    private func template(_ file: String) throws -> ChatTemplate {
        let root = ProcessInfo.processInfo.environment["PENDRA_LLAMA_SRC"]
            ?? "/root/.cache/pendra/src/llama-cpp-python-0.3.36/vendor/llama.cpp"
        let source = try String(contentsOfFile: root + "/models/templates/" + file, encoding: .utf8)
        return try ChatTemplate(source: source, bosToken: "<s>", eosToken: "</s>")
    }

    /// As a request body carries it: "unit" before "city", not alphabetical.
    private func weatherTool() throws -> ChatTool {
        let parameters = try JSON.parse(#"""
            {"type":"object","properties":{"unit":{"type":"string","enum":["celsius","fahrenheit"]},"city":{"type":"string"}},"required":["unit","city"]}
            """#)
        return ChatTool(name: "get_weather", description: "Weather for a city", parameters: parameters)
    }

    func testToolSchemaReachesThePromptInTheClientsOrder() throws {
        let prompt = try template("Qwen-Qwen2.5-7B-Instruct.jinja")
            .render(messages: [ChatMessage(role: "user", content: "Weather in Paris?")], tools: [try weatherTool()])
        XCTAssertTrue(prompt.contains(
            #""properties": {"unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}, "city": {"type": "string"}}, "required": ["unit", "city"]"#),
            prompt)
    }

    func testToolCallArgumentsRoundTripIntoTheNextPromptByteForByte() throws {
        let cases: [(file: String, format: ToolCallFormat, written: String)] = [
            ("Qwen-Qwen2.5-7B-Instruct.jinja", .hermes,
             "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"unit\": \"celsius\", \"city\": \"Paris\", \"days\": 3}}\n</tool_call>"),
            ("meta-llama-Llama-3.1-8B-Instruct.jinja", .llama3JSON,
             #"{"name": "get_weather", "parameters": {"unit": "celsius", "city": "Paris", "days": 3}}"#),
        ]
        for c in cases {
            let tools = [try weatherTool()]
            let (_, calls) = ToolFixtures.parser().parse(c.written, format: c.format, tools: tools)
            XCTAssertEqual(calls.count, 1, c.file)
            // What the client receives, and sends back unchanged next turn.
            XCTAssertEqual(calls.first?.arguments, #"{"unit":"celsius","city":"Paris","days":3}"#, c.file)
            let next = try template(c.file).render(messages: [
                ChatMessage(role: "user", content: "Weather in Paris?"),
                ChatMessage(role: "assistant", content: "", toolCalls: calls),
                ChatMessage(role: "tool", content: "{\"temperature\": 21}", toolCallID: calls.first?.id, name: "get_weather"),
            ], tools: tools)
            XCTAssertTrue(next.contains(c.written), "\(c.file): the model's call is not in the next prompt:\n\(next)")
        }
    }
}
