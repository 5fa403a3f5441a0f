import XCTest
@testable import PendraEngine

/// Speculative decoding with a draft model on real models (CPU): SmolLM2
/// drafting for itself gives the same greedy text as no speculation, with
/// drafts accepted; vocabularies that differ are refused at load.
final class DraftModelDecodingTests: XCTestCase {
    private static let source = """
    struct Point {
        var x: Double
        var y: Double

        func distance(to other: Point) -> Double {
            let dx = x - other.x
            let dy = y - other.y
            return (dx * dx + dy * dy).squareRoot()
        }
    }
    """

    private func engine(draft: Bool) throws -> ChatEngine {
        let path = try TestModels.path("smollm2-135m-instruct.gguf")
        let model = try LlamaModel(path: path, gpuLayers: 0)
        let spec = draft ? SpeculationConfig(draftModel: DraftModelOptions(path: path, maxDraft: 6), adaptive: false) : .off
        return try ChatEngine(model: model,
                              settings: ContextSettings(contextSize: 2048, parallel: 2, batchSize: 512, threads: 2),
                              prefixReuse: false, speculation: spec,
                              draftModel: draft ? try LlamaModel(path: path, gpuLayers: 0) : nil)
    }

    private func request(_ e: ChatEngine, _ content: String, speculative: Bool = true, max: Int = 64) throws -> GenerationRequest {
        try e.greedyChatRequest(content, speculative: speculative, maxTokens: max)
    }

    /// With the companion stream beside it (ChatEngine.companionStream).
    private func run(_ e: ChatEngine, _ r: GenerationRequest) async throws -> (text: String, result: GenerationResult) {
        let c = try e.companionStream()
        let out = await try e.submit(r).collect()
        e.cancel(c.id)
        _ = await c.collect()
        return out
    }

    /// Two prompts in turn on the same engine, the second on the slot the
    /// first left (its draft cache must be cut to what agrees with the new
    /// prompt): each gives the text it gives without speculation, and the
    /// opted-out run drafts nothing. Both copy text: free text has near-ties,
    /// where a different KV cell placement (rejected guesses free cells that
    /// the companion takes) can change a greedy choice in the last bits, as
    /// SpeculativeDecodingTests says of several speculating sequences.
    func testGreedyOutputIsIdenticalWithADraftModel() async throws {
        let e = try engine(draft: true)
        defer { e.shutdown() }
        let prompts = ["Copy this code exactly, then stop:\n\n\(Self.source)",
                       "Repeat exactly: " + (1...9).map { "\($0) lamps in room \($0 * 3)" }.joined(separator: ", ")]
        var plain: [(text: String, result: GenerationResult)] = []
        for p in prompts { plain.append(try await run(e, try request(e, p, speculative: false))) }
        XCTAssertEqual(e.snapshot.draftedTokens, 0, "the requests opted out")
        for (i, p) in prompts.enumerated() {
            let before = e.snapshot.draftedTokens
            let fast = try await run(e, try request(e, p))
            print("prompt \(i): \(fast.result.usage.completionTokens) tokens, \(e.snapshot.draftedTokens - before) drafted")
            XCTAssertGreaterThan(e.snapshot.draftedTokens, before, "prompt \(i) drafted nothing")
            XCTAssertEqual(fast.text, plain[i].text, "prompt \(i)")
            XCTAssertEqual(fast.result.usage.completionTokens, plain[i].result.usage.completionTokens)
            XCTAssertEqual(fast.result.reason, plain[i].result.reason)
        }
        for _ in 0..<200 where e.snapshot.running > 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        let s = e.snapshot
        XCTAssertGreaterThan(s.draftedTokens, 0)
        // The same model guessing greedily: nearly every guess is right.
        XCTAssertGreaterThan(Double(s.acceptedTokens), 0.5 * Double(s.draftedTokens), "\(s)")
        XCTAssertLessThanOrEqual(s.acceptedTokens, s.draftedTokens)
        print("draft model: drafted \(s.draftedTokens), accepted \(s.acceptedTokens), text: \(plain[0].text.prefix(60))")
    }

    private func loadError(target: String, draft: String) throws -> String {
        let t = try LlamaModel(path: try TestModels.path(target), gpuLayers: 0)
        let dPath = try TestModels.path(draft)
        do {
            let e = try ChatEngine(model: t, settings: ContextSettings(contextSize: 256, parallel: 1, batchSize: 64, threads: 2),
                                   speculation: SpeculationConfig(draftModel: DraftModelOptions(path: dPath)),
                                   draftModel: try LlamaModel(path: dPath, gpuLayers: 0))
            e.shutdown()
            XCTFail("\(draft) was accepted as a draft for \(target)")
            return ""
        } catch let error as ModelLoadError {
            return error.description
        }
    }

    func testIncompatibleDraftModelsAreRefusedAtLoad() throws {
        let other = try loadError(target: "smollm2-135m-instruct.gguf", draft: "tiny-llama.gguf")
        XCTAssertTrue(other.contains("cannot load model") && other.contains("tiny-llama.gguf"), other)
        XCTAssertTrue(other.contains("its BOS token (128000) differs from the target's (1, not added)"), other)
        // The same vocabulary size, but gpt-oss renames the reserved specials and its BOS.
        let renamed = try loadError(target: "tiny-llama.gguf", draft: "tiny-gpt-oss.gguf")
        XCTAssertTrue(renamed.contains("BOS") || renamed.contains("token "), renamed)
        let recurrent = try loadError(target: "tiny-llama.gguf", draft: "tiny-mamba2.gguf")
        XCTAssertTrue(recurrent.contains("recurrent memory"), recurrent)
    }

    func testADraftModelConfigNeedsItsModel() throws {
        let t = try LlamaModel(path: try TestModels.path("tiny-llama.gguf"), gpuLayers: 0)
        XCTAssertThrowsError(try ChatEngine(model: t, settings: ContextSettings(contextSize: 256, parallel: 1, batchSize: 64, threads: 2),
                                            speculation: SpeculationConfig(draftModel: DraftModelOptions(path: t.path)))) {
            XCTAssertTrue("\($0)".contains("no draft model was loaded"), "\($0)")
        }
    }
}
