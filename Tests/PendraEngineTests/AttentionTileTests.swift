import XCTest
@testable import PendraEngine

final class AttentionTileTests: XCTestCase {
    func testANextTurnDeepInAContextIsComputedAsOneTile() {
        // 50 new tokens after 2,500 cached: 14 cached ones are recomputed.
        XCTAssertEqual(AttentionTile.reused(2500, promptCount: 2550, tile: 64), 2486)
        XCTAssertEqual(AttentionTile.reused(2000, promptCount: 2040, tile: 64), 1976, "40 after 2,000")
        XCTAssertEqual(AttentionTile.reused(1000, promptCount: 1056, tile: 64), 992, "56 after 1,000")
    }

    /// Where llama-bench had the row-by-row path cheaper or too close to call.
    func testShortTurnsAndShallowContextsAreLeftAlone() {
        XCTAssertEqual(AttentionTile.reused(1983, promptCount: 2009, tile: 64), 1983, "26 new tokens")
        XCTAssertEqual(AttentionTile.reused(2000, promptCount: 2039, tile: 64), 2000, "39 new tokens")
        XCTAssertEqual(AttentionTile.reused(1000, promptCount: 1055, tile: 64), 1000, "55 after 1,000")
        XCTAssertEqual(AttentionTile.reused(999, promptCount: 1062, tile: 64), 999, "63 after 999: 56-63 after 500 is about even")
            }

    func testOnlyWhereTheKernelTiles() {
        XCTAssertEqual(AttentionTile.reused(2500, promptCount: 2550, tile: 0), 2500, "no CPU flash-attention kernel")
        XCTAssertEqual(AttentionTile.reused(2500, promptCount: 2564, tile: 64), 2500, "already a tile")
        XCTAssertEqual(AttentionTile.reused(2500, promptCount: 2501, tile: 64), 2500, "one token runs another path")
    }

    func testTheContextSettingsSayWhereTheKernelTiles() {
        var s = ContextSettings(contextSize: 4096, parallel: 4)
        XCTAssertEqual(s.attentionTile, 0, "not known to be on the CPU")
        s.attentionOnCPU = true
        XCTAssertEqual(s.attentionTile, 64, "llama.cpp's auto turns flash attention on")
        s.flashAttention = false
        XCTAssertEqual(s.attentionTile, 0)
        s.flashAttention = true
        s.cacheTypeK = .q8_0
        s.cacheTypeV = .q8_0
        XCTAssertEqual(s.attentionTile, 0, "a quantized cache is not tiled")
    }

    /// In the scheduler: a cached conversation's next turn of 50 tokens
    /// starts 14 tokens early, and cached_tokens says so.
    func testTheSchedulerRecomputesTheCachedTokensTheTileNeeds() throws {
        for (tile, reused) in [(64, 2486), (0, 2500)] {
            var config = SchedulerConfig(slots: 2, tokenBudget: 512, maxWaiting: 4, cells: 4096)
            config.attentionTile = tile
            var s = Scheduler(config: config)
            let conversation = (0..<2500).map { Token(1000 + $0) }
            try s.enqueue(SequenceState(id: 1, prompt: conversation))
            while s.sequence(1)?.computed ?? 0 < conversation.count {
                let plan = s.schedule()
                s.completeStep(plan)
                for e in plan.entries where e.wantsLogits { s.appendSampled(e.id, 7) }
            }
            s.remove(1)
            try s.enqueue(SequenceState(id: 2, prompt: conversation + (0..<50).map { Token(5000 + $0) }))
            let plan = s.schedule()
            XCTAssertEqual(plan.admissions.first?.choice.reused, reused, "tile \(tile)")
            XCTAssertEqual(plan.entries.first?.start, reused)
            XCTAssertEqual(plan.entries.first?.count, 2550 - reused)
            XCTAssertEqual(s.sequence(2)?.reused, reused)
        }
    }
}
