import XCTest
@testable import PendraEngine

/// N-gram speculative decoding on the real SmolLM2 model (CPU): the same
/// greedy text with and without drafts, and drafts really accepted.
final class SpeculativeDecodingTests: XCTestCase {
    private static let source = """
    func area(width: Int, height: Int) -> Int {
        let product = width * height
        return product
    }

    func perimeter(width: Int, height: Int) -> Int {
        let sum = width + height
        return 2 * sum
    }
    """

    private func engine(speculation: SpeculationConfig) throws -> ChatEngine {
        let model = try LlamaModel(path: try TestModels.path("smollm2-135m-instruct.gguf"), gpuLayers: 0)
        return try ChatEngine(model: model,
                              settings: ContextSettings(contextSize: 2048, parallel: 4, batchSize: 512, threads: 2),
                              prefixReuse: false, speculation: speculation)
    }

    private func request(_ e: ChatEngine, speculative: Bool, max: Int = 80) throws -> GenerationRequest {
        try e.greedyChatRequest("Copy this code exactly, then stop:\n\n\(Self.source)", speculative: speculative, maxTokens: max)
    }

    func testGreedyOutputIsIdenticalWithAndWithoutDrafts() async throws {
        let e = try engine(speculation: SpeculationConfig(ngram: NgramDrafter(), adaptive: false))
        defer { e.shutdown() }
        var c = try e.companionStream()
        let plain = await try e.submit(try request(e, speculative: false)).collect()
        e.cancel(c.id)
        _ = await c.collect()
        XCTAssertEqual(e.snapshot.draftedTokens, 0, "the request opted out")
        c = try e.companionStream()
        let fast = await try e.submit(try request(e, speculative: true)).collect()
        e.cancel(c.id)
        _ = await c.collect()
        XCTAssertEqual(fast.text, plain.text)
        XCTAssertEqual(fast.result.usage.completionTokens, plain.result.usage.completionTokens)
        XCTAssertEqual(fast.result.reason, plain.result.reason)
        let s = e.snapshot
        XCTAssertGreaterThan(s.draftedTokens, 0)
        XCTAssertGreaterThan(s.acceptedTokens, 0, "rewriting the prompt's code: guesses from the prompt are right")
        XCTAssertLessThanOrEqual(s.acceptedTokens, s.draftedTokens)
        try await settle(e)
        print("speculative: drafted \(s.draftedTokens), accepted \(s.acceptedTokens), text: \(fast.text.prefix(80))")
    }

    /// Several speculating sequences in one batch, one cancelled mid-run:
    /// each ends well, and the cache holds no rejected guess afterwards.
    /// Their text is not compared with a non-speculative run here: with two
    /// or more speculating sequences, freed draft cells are reused out of
    /// position order, and llama.cpp's attention sums cells in cell order, so
    /// the last bits can differ (as with any change of cell placement).
    func testConcurrentSpeculatingSequencesFinishAndFreeTheirCells() async throws {
        let e = try engine(speculation: SpeculationConfig(ngram: NgramDrafter(), adaptive: false))
        defer { e.shutdown() }
        let streams = try (0..<3).map { _ in try e.submit(try request(e, speculative: true, max: 48)) }
        var seen = 0
        for await ev in streams[1].events {
            if case .text = ev { seen += 1 }
            if seen == 5 { e.cancel(streams[1].id) }
        }
        for i in [0, 2] {
            let r = await streams[i].collect()
            XCTAssertEqual(r.result.reason, .length)
            XCTAssertEqual(r.result.usage.completionTokens, 48)
        }
        try await settle(e)
        XCTAssertGreaterThan(e.snapshot.draftedTokens, 0)
        // A prompt needing nearly every cell: had rejected guesses stayed in
        // llama.cpp's cache behind the scheduler's back, it would find no room.
        let big = Array(e.model.tokenize(String(repeating: "seven ", count: 1900), addSpecial: true, parseSpecial: false).prefix(1990))
        let r = await try e.submit(GenerationRequest(prompt: big, sampling: .greedy, maxTokens: 4)).collect()
        if case .error(let m) = r.result.reason { XCTFail("the full-context prompt failed: \(m)") }
        XCTAssertEqual(r.result.usage.completionTokens, 4)
    }

    /// The snapshot is published after the step that finished the streams.
    private func settle(_ e: ChatEngine) async throws {
        for _ in 0..<200 where e.snapshot.running > 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertEqual(e.snapshot.running, 0)
    }

    /// Model config off: no drafts whatever the request says.
    func testOffByDefault() async throws {
        let e = try engine(speculation: .off)
        defer { e.shutdown() }
        _ = await try e.submit(try request(e, speculative: true, max: 16)).collect()
        XCTAssertEqual(e.snapshot.draftedTokens, 0)
    }
}
