import XCTest
@testable import PendraEngine

/// ChatEngine.prepare under a grammar it makes: a reasoning template gets the
/// reasoning first (and its output parsed as reasoning), thinking off or a
/// client's own grammar does not.
final class PrepareReasoningGrammarTests: XCTestCase {
    nonisolated(unsafe) static var engines: [String: ChatEngine] = [:]

    func engine(_ file: String) throws -> ChatEngine {
        if let e = Self.engines[file] { return e }
        let model = try LlamaModel(path: try TestModels.path(file), gpuLayers: 0)
        let e = try ChatEngine(model: model, settings: ContextSettings(contextSize: 1024, parallel: 1, batchSize: 64, threads: 1),
                               maxWaiting: 4)
        Self.engines[file] = e
        return e
    }

    private func request(_ reasoning: ReasoningMode, sampling: SamplingParameters = SamplingParameters()) -> ChatRequest {
        var r = ChatRequest(model: "m", messages: [ChatMessage(role: "user", content: "Hi")],
                            responseFormat: .jsonSchema(["type": "object", "properties": ["a": ["type": "integer"]]]),
                            sampling: sampling)
        r.reasoning = reasoning
        return r
    }

    func testThinkTemplateOpenedInThePrompt() throws {
        let e = try engine("tiny-qwen3-think.gguf")
        let on = try e.prepare(request(.enabled(budget: 4)))
        XCTAssertTrue(on.prompt.hasSuffix("<think>\n"), on.prompt)
        XCTAssertTrue(on.generation.sampling.grammar?.hasPrefix("root ::= reasoning-0\n") == true)
        XCTAssertEqual(on.generation.output.reasoning, .think)
        XCTAssertTrue(on.generation.output.startsInReasoning)
        var object = request(.auto)
        object.responseFormat = .jsonObject
        XCTAssertTrue(try e.prepare(object).generation.sampling.grammar?.hasPrefix("root ::= reasoning-0\n") == true)
        let off = try e.prepare(request(.disabled))
        XCTAssertEqual(off.generation.output.reasoning, .none)
        XCTAssertFalse(off.generation.sampling.grammar!.contains("reasoning-0"))
        var own = SamplingParameters()
        own.grammar = "root ::= \"x\"\n"
        let custom = try e.prepare(request(.auto, sampling: own))
        XCTAssertEqual(custom.generation.sampling.grammar, own.grammar)
        XCTAssertTrue(custom.prompt.hasSuffix("</think>\n\n"), "a client grammar cannot wait: reasoning closed in the prompt")
    }

    func testHarmonyAnalysisThenFinal() throws {
        let e = try engine("tiny-gpt-oss.gguf")
        let p = try e.prepare(request(.enabled(budget: 3)))
        let g = try XCTUnwrap(p.generation.sampling.grammar)
        XCTAssertTrue(g.hasPrefix("root ::= \"<|channel|>analysis<|message|>\" analysis-0 | reasoning-answer"), g)
        XCTAssertTrue(g.contains("\"<|channel|>final<|message|>\""), g)
        XCTAssertEqual(p.generation.output.reasoning, .harmony)
    }
}
