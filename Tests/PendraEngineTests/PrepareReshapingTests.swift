import XCTest
@testable import PendraEngine

/// ChatEngine.prepare on tiny-llama, whose Llama 3.1 template raises on
/// parallel tool calls: what the template takes is rendered untouched, what
/// it refuses is reshaped, and nothing else changes.
final class PrepareReshapingTests: XCTestCase {
    nonisolated(unsafe) static var engine: ChatEngine?

    func engine() throws -> ChatEngine {
        if let e = Self.engine { return e }
        let model = try LlamaModel(path: try TestModels.path("tiny-llama.gguf"), gpuLayers: 0)
        let e = try ChatEngine(model: model, settings: ContextSettings(contextSize: 2048, parallel: 1, batchSize: 256, threads: 2),
                               maxWaiting: 4)
        Self.engine = e
        return e
    }

    let bash = ChatTool(name: "bash", description: "Run a command.", parameters: ["type": "object"])

    func testAConversationTheTemplateTakesIsRenderedAsSent() throws {
        let e = try engine()
        let messages = [ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U"),
                        ChatMessage(role: "system", content: "<system-reminder>tokens left</system-reminder>")]
        let prepared = try e.prepare(ChatRequest(model: "m", messages: messages, tools: [bash]))
        XCTAssertEqual(prepared.prompt, try e.template.render(messages: messages, tools: [bash]))
    }

    func testParallelCallsAreSplitInsteadOfFailingTheRequest() throws {
        let e = try engine()
        let messages = [
            ChatMessage(role: "user", content: "Run ls and pwd."),
            ChatMessage(role: "assistant", content: "", toolCalls: [ChatToolCall(id: "a", name: "bash", arguments: "{\"command\":\"ls\"}"),
                                                                   ChatToolCall(id: "b", name: "bash", arguments: "{\"command\":\"pwd\"}")]),
            ChatMessage(role: "tool", content: "README.md", toolCallID: "a"),
            ChatMessage(role: "tool", content: "/repo", toolCallID: "b"),
        ]
        XCTAssertThrowsError(try e.template.render(messages: messages, tools: [bash])) {
            XCTAssertEqual(($0 as? ChatTemplateError)?.description, "This model only supports single tool-calls at once!")
        }
        let prepared = try e.prepare(ChatRequest(model: "m", messages: messages, tools: [bash]))
        let reshaped = ConversationReshaper.reshape(messages, to: .strictToolTurns)
        XCTAssertEqual(prepared.prompt, try e.template.render(messages: reshaped, tools: [bash]))
        XCTAssertTrue(prepared.prompt.contains("README.md") && prepared.prompt.contains("/repo"))
        XCTAssertEqual(prepared.tokens, e.tokenizePrompt(prepared.prompt))
    }
}
