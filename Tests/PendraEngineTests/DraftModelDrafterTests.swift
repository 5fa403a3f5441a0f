import XCTest
@testable import PendraEngine

/// The draft model's own cache, on tiny-llama drafting for itself: it holds
/// each slot's sequence and the guesses, is cut back to what agrees with the
/// next request (rejected guesses, a slot taken by another sequence), and
/// idle slots give way when the cells run short.
final class DraftModelDrafterTests: XCTestCase {
    private var model: LlamaModel!

    override func setUpWithError() throws {
        model = try LlamaModel(path: try TestModels.path("tiny-llama.gguf"), gpuLayers: 0)
    }

    private func drafter(cells: Int = 512, slots: Int = 2, batch: Int = 256, minProbability: Float = 0) throws -> DraftModelDrafter {
        try DraftModelDrafter(model: model, target: model,
                              settings: ContextSettings(contextSize: cells, parallel: slots, batchSize: batch, threads: 2),
                              minProbability: minProbability)
    }

    /// A long prompt fills the draft cache one micro-batch per call, the
    /// other slot's few missing tokens first; until it is in, its answer is
    /// empty ("not ready"), never a guess from half a prompt.
    func testALongPromptCatchesUpOneMicroBatchPerCall() throws {
        let d = try drafter(batch: 16)
        XCTAssertEqual(d.catchUpPerCall, 16)
        let short = tokens("Hello there")
        let long = tokens(String(repeating: "The river runs past the mill and the old stone bridge. ", count: 4))
        XCTAssertGreaterThan(long.count, 32)
        XCTAssertLessThan(long.count, 64)
        let first = d.draft([DraftRequest(id: 1, slot: 0, tokens: long, limit: 2),
                             DraftRequest(id: 2, slot: 1, tokens: short, limit: 2)])
        XCTAssertEqual(first[2]?.count, 2, "the short one is caught up and drafted")
        XCTAssertEqual(first[1], [], "the long one is not ready")
        XCTAssertEqual(d.cachedTokens(slot: 0), Array(long.prefix(16 - short.count)))
        var calls = 1
        var answer = first[1]
        while answer == [] {
            answer = d.draft([DraftRequest(id: 1, slot: 0, tokens: long, limit: 2)])[1]
            calls += 1
            XCTAssertLessThanOrEqual(calls, 5)
        }
        XCTAssertEqual(answer?.count, 2)
        XCTAssertEqual(calls, 1 + (long.count - (16 - short.count) + 15) / 16)
        XCTAssertEqual(Array(d.cachedTokens(slot: 0).prefix(long.count)), long)
    }

    private func tokens(_ text: String) -> [Token] { model.tokenize(text, addSpecial: true, parseSpecial: false) }

    func testGuessesAndTheCacheFollowEachSequence() throws {
        let d = try drafter()
        let a = tokens("The quick brown fox jumps over the lazy dog")
        let b = tokens("A completely different sentence about rivers")
        let g = d.draft([DraftRequest(id: 1, slot: 0, tokens: a, limit: 4), DraftRequest(id: 2, slot: 1, tokens: b, limit: 3)])
        let ga = try XCTUnwrap(g[1]), gb = try XCTUnwrap(g[2])
        XCTAssertEqual(ga.count, 4)
        XCTAssertEqual(gb.count, 3)
        // Every guess but the last was decoded for the next.
        XCTAssertEqual(d.cachedTokens(slot: 0), a + ga.prefix(3))
        XCTAssertEqual(d.cachedTokens(slot: 1), b + gb.prefix(2))

        // The target took two guesses and then sampled something else: the
        // third guess leaves the cache, the two stay.
        let other: Token = ga[2] == 1000 ? 1001 : 1000
        let a2 = a + ga.prefix(2) + [other]
        let g2 = d.draft([DraftRequest(id: 1, slot: 0, tokens: a2, limit: 2)])
        XCTAssertEqual(g2[1]?.count, 2)
        XCTAssertEqual(d.cachedTokens(slot: 0), a2 + g2[1]!.prefix(1))

        // Slot 1 now serves another sequence: nothing of b past the common
        // prefix (BOS) survives.
        let c = tokens("Numbers: one two three")
        let g3 = d.draft([DraftRequest(id: 3, slot: 1, tokens: c, limit: 1)])
        XCTAssertEqual(g3[3]?.count, 1)
        XCTAssertEqual(d.cachedTokens(slot: 1), c, "limit 1: the only guess is never decoded")
        XCTAssertEqual(d.usedCells, a2.count + 1 + c.count)
    }

    /// p_min: no guess is certain, so a minimum of 1 proposes nothing, and
    /// the sequence's tokens are still cached for the next call.
    func testUnlikelyGuessesAreNotProposed() throws {
        let d = try drafter(minProbability: 1)
        let a = tokens("The quick brown fox")
        XCTAssertEqual(d.draft([DraftRequest(id: 1, slot: 0, tokens: a, limit: 4)]), [:])
        XCTAssertEqual(d.cachedTokens(slot: 0), a)
    }

    func testIdleSlotsGiveWayWhenCellsRunShort() throws {
        let d = try drafter(cells: 256, slots: 2)
        let long = Array(tokens(String(repeating: "alpha beta gamma ", count: 100)).prefix(200))
        XCTAssertNotNil(d.draft([DraftRequest(id: 1, slot: 1, tokens: long, limit: 4)])[1])
        XCTAssertEqual(d.cachedTokens(slot: 1).count, 203)
        // 100 tokens and 4 guesses do not fit beside slot 1's 203 in 256 cells.
        let next = Array(tokens(String(repeating: "delta epsilon ", count: 80)).prefix(100))
        XCTAssertEqual(d.draft([DraftRequest(id: 2, slot: 0, tokens: next, limit: 4)])[2]?.count, 4)
        XCTAssertEqual(d.cachedTokens(slot: 1), [], "the idle slot was cleared")
        XCTAssertEqual(d.cachedTokens(slot: 0).count, 103)
        // Both asked at once and too big together: the one that fits is drafted.
        let g = d.draft([DraftRequest(id: 2, slot: 0, tokens: next, limit: 4), DraftRequest(id: 1, slot: 1, tokens: long, limit: 4)])
        XCTAssertEqual(g[2]?.count, 4)
        XCTAssertNil(g[1])
        XCTAssertLessThanOrEqual(d.usedCells, d.capacity)
    }
}
