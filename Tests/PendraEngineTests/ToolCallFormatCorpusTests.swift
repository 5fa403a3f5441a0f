import Foundation
import XCTest
@testable import PendraEngine

/// The formats read from the real templates in llama.cpp's models/templates.
final class ToolCallFormatCorpusTests: XCTestCase {
    private func template(_ name: String) throws -> String {
        let path = GGUFTestEnvironment.llamaSource + "/models/templates/" + name
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    func testEachTemplateGetsItsFormat() throws {
        let expected: [(String, ToolCallFormat, ReasoningFormat)] = [
            ("Qwen-Qwen2.5-7B-Instruct.jinja", .hermes, .none),
            ("Qwen-Qwen3-0.6B.jinja", .hermes, .think),
            ("Qwen3-Coder.jinja", .qwenXML, .none),
            ("Qwen3.5-4B.jinja", .qwenXML, .think),
            ("meta-llama-Llama-3.1-8B-Instruct.jinja", .llama3JSON, .none),
            ("mistralai-Mistral-Nemo-Instruct-2407.jinja", .mistral, .none),
            ("mistralai-Ministral-3-14B-Reasoning-2512.jinja", .mistral, .mistralThink),
            ("openai-gpt-oss-120b.jinja", .harmony, .harmony),
            ("deepseek-ai-DeepSeek-V3.1.jinja", .deepseek(r1: false), .think),
            ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", .deepseek(r1: true), .think),
            ("moonshotai-Kimi-K2.jinja", .kimiK2, .none),
            ("Kimi-K2-Thinking.jinja", .kimiK2, .think),
            ("GLM-4.6.jinja", .glm, .think),
            ("CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja", .commandR7B, .none),
            ("ibm-granite-granite-3.3-2B-Instruct.jinja", .granite, .think),
            ("meetkai-functionary-medium-v3.1.jinja", .functionary, .none),
            ("MiniMax-M2.jinja", .minimax, .think),
        ]
        for (name, tools, reasoning) in expected {
            let t = try template(name)
            XCTAssertEqual(ToolCallFormat.detect(chatTemplate: t), tools, name)
            XCTAssertEqual(ReasoningFormat.detect(chatTemplate: t), reasoning, name)
        }
    }
}
