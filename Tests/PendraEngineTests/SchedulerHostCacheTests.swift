import XCTest
@testable import PendraEngine

/// The scheduler with the host-RAM pool on, driven with made-up tokens: the
/// test plays the engine, "saving" each spill at 10 bytes a token.
final class SchedulerHostCacheTests: XCTestCase {
    private func tokens(_ n: Int, base: Int32) -> [Token] { (0..<n).map { base + Int32($0) } }

    private func scheduler(slots: Int = 2, cells: Int = 100, poolBytes: Int = 10_000,
                           memory: MemoryKind = .unified) -> Scheduler {
        var s = Scheduler(config: SchedulerConfig(slots: slots, tokenBudget: 128, maxWaiting: 8, cells: cells,
                                                  prefixCacheCells: cells, memory: memory))
        s.enableHostCache(bytes: poolBytes, minimumTokens: 8)
        return s
    }

    /// What the engine does with a step: save the spills, decode, sample.
    @discardableResult
    private func step(_ s: inout Scheduler) -> StepPlan {
        let plan = s.schedule()
        save(&s)
        s.completeStep(plan)
        for e in plan.entries where e.wantsLogits { s.appendSampled(e.id, 7) }
        return plan
    }

    private func save(_ s: inout Scheduler) {
        for spill in s.takeSpills() { _ = s.recordSaved(spill, bytes: spill.tokens.count * 10, firstPosition: 0) }
    }

    /// Runs one request to its first token and finishes it.
    private func serve(_ s: inout Scheduler, id: UInt64, prompt: [Token]) throws -> StepPlan {
        try s.enqueue(SequenceState(id: id, prompt: prompt))
        let plan = step(&s)
        s.remove(id)
        return plan
    }

    func testAnEvictedSessionIsSavedAndRestoredWhenItReturns() throws {
        var s = scheduler()
        let a = tokens(60, base: 1000), b = tokens(60, base: 2000)
        _ = try serve(&s, id: 1, prompt: a)
        let second = try serve(&s, id: 2, prompt: b)
        XCTAssertEqual(second.evictions.count, 1, "two sessions do not fit in 100 cells")
        XCTAssertEqual(s.pool.entries.map(\.tokens), [a], "the evicted session was saved")
        XCTAssertEqual(s.pool.bytesHeld, 600)

        // Session A comes back with its next turn.
        try s.enqueue(SequenceState(id: 3, prompt: a + [5, 6, 7]))
        let plan = s.schedule()
        let adm = try XCTUnwrap(plan.admissions.first)
        XCTAssertEqual(adm.choice.restoreFrom, s.pool.entries.first { $0.tokens == a }?.id)
        XCTAssertEqual(adm.choice.reused, 60)
        XCTAssertEqual(adm.evictions.count, 1, "B's cells make room for the restore")
        XCTAssertEqual(s.takeSpills().map(\.tokens), [b], "and B is saved before it goes")
        XCTAssertEqual(plan.entries.first, BatchEntry(id: 3, slot: adm.choice.slot, start: 60, count: 3, wantsLogits: true))
        XCTAssertEqual(s.sequence(3)?.reused, 60)
        XCTAssertEqual(s.kv.slots[adm.choice.slot].tokens, a)
    }

    func testAPartialMatchIsRestoredAndCutBackOnUnifiedMemory() throws {
        var s = scheduler()
        let a = tokens(60, base: 1000)
        _ = try serve(&s, id: 1, prompt: a)
        _ = try serve(&s, id: 2, prompt: tokens(60, base: 2000))
        try s.enqueue(SequenceState(id: 3, prompt: Array(a.prefix(30)) + [1, 2]))
        let adm = try XCTUnwrap(s.schedule().admissions.first)
        XCTAssertNotNil(adm.choice.restoreFrom)
        XCTAssertEqual(adm.choice.reused, 30)
        XCTAssertEqual(s.kv.slots[adm.choice.slot].tokens.count, 30, "the entry is cut back to the common prefix")
    }

    func testATemplateOpeningIsNotWorthRestoringAWholeEntry() throws {
        var s = scheduler()
        let a = tokens(60, base: 1000)
        _ = try serve(&s, id: 1, prompt: a)
        _ = try serve(&s, id: 2, prompt: tokens(60, base: 2000))
        // Shares 6 tokens with A: a restore would copy 60 to save 6.
        try s.enqueue(SequenceState(id: 3, prompt: Array(a.prefix(6)) + tokens(20, base: 5000)))
        let adm = try XCTUnwrap(s.schedule().admissions.first)
        XCTAssertNil(adm.choice.restoreFrom)
    }

    func testRecurrentMemoryRestoresOnlyAnExactEnd() throws {
        var s = scheduler(memory: .recurrent)
        let a = tokens(60, base: 1000)
        _ = try serve(&s, id: 1, prompt: a)
        _ = try serve(&s, id: 2, prompt: tokens(60, base: 2000))
        try s.enqueue(SequenceState(id: 3, prompt: Array(a.prefix(40)) + [1, 2]))
        XCTAssertNil(try XCTUnwrap(s.schedule().admissions.first).choice.restoreFrom, "a recurrent state cannot be cut back")
        s.remove(3)
        save(&s)
        try s.enqueue(SequenceState(id: 4, prompt: a + [1, 2]))
        let adm = try XCTUnwrap(s.schedule().admissions.first)
        XCTAssertEqual(adm.choice.reused, 60)
        XCTAssertNotNil(adm.choice.restoreFrom)
    }

    func testASlidingWindowEntryIsRestoredOnlyAtItsEnd() throws {
        // The engine reports the live slot's oldest position (0: llama.cpp had
        // not pruned it yet), but the saved state keeps only the last window.
        var s = scheduler(memory: .slidingWindow(window: 16))
        let a = tokens(60, base: 1000)
        _ = try serve(&s, id: 1, prompt: a)
        _ = try serve(&s, id: 2, prompt: tokens(60, base: 2000))
        XCTAssertEqual(s.pool.entries.first?.firstPosition, 44)
        try s.enqueue(SequenceState(id: 3, prompt: Array(a.prefix(50)) + [1, 2]))
        XCTAssertNil(try XCTUnwrap(s.schedule().admissions.first).choice.restoreFrom, "cells 34..<44 are not in the saved state")
        s.remove(3)
        save(&s)
        try s.enqueue(SequenceState(id: 4, prompt: a + [1, 2]))
        let adm = try XCTUnwrap(s.schedule().admissions.first)
        XCTAssertEqual(adm.choice.reused, 60)
        XCTAssertNotNil(adm.choice.restoreFrom)
    }

    func testARestoreThatCannotFitFallsBackToTheCells() throws {
        var s = scheduler(slots: 3)
        let a = tokens(60, base: 1000)
        _ = try serve(&s, id: 1, prompt: a)
        // A long request runs and holds most of the cells.
        try s.enqueue(SequenceState(id: 2, prompt: tokens(70, base: 2000)))
        step(&s)
        XCTAssertEqual(s.pool.entries.count, 1)
        try s.enqueue(SequenceState(id: 3, prompt: a + [9]))
        let plan = s.schedule()
        // 70 running cells leave no room for the 60 to restore, nor for the
        // 61 a prefill needs: it waits, and the saved entry stays.
        XCTAssertTrue(plan.admissions.isEmpty, "70 running cells leave no room for 60")
        XCTAssertEqual(s.waiting.map(\.id), [3])
        XCTAssertEqual(s.pool.entries.count, 1)
    }

    func testNothingIsSavedWhenThePoolIsOffOrForShortPrefixes() throws {
        var off = scheduler(poolBytes: 0)
        _ = try serve(&off, id: 1, prompt: tokens(60, base: 1000))
        _ = try serve(&off, id: 2, prompt: tokens(60, base: 2000))
        XCTAssertEqual(off.takeSpills(), [])
        XCTAssertTrue(off.pool.entries.isEmpty)

        var s = scheduler(cells: 20)
        _ = try serve(&s, id: 1, prompt: tokens(5, base: 1000))
        _ = try serve(&s, id: 2, prompt: tokens(18, base: 2000))
        XCTAssertTrue(s.pool.entries.isEmpty, "5 tokens are below the minimum")
    }

    func testTrimmedPrefixesAreSavedToo() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 3, tokenBudget: 128, maxWaiting: 8, cells: 400,
                                                  prefixCacheCells: 30))
        s.enableHostCache(bytes: 10_000, minimumTokens: 8)
        _ = try serve(&s, id: 1, prompt: tokens(25, base: 1000))
        _ = try serve(&s, id: 2, prompt: tokens(25, base: 2000))
        let cleared = s.trimPrefixCache()
        XCTAssertEqual(cleared.count, 1)
        XCTAssertEqual(s.takeSpills().map(\.slot), cleared)
    }

    func testAForgottenEntryIsNoLongerACandidate() throws {
        var s = scheduler()
        let a = tokens(60, base: 1000)
        _ = try serve(&s, id: 1, prompt: a)
        _ = try serve(&s, id: 2, prompt: tokens(60, base: 2000))
        s.forgetPooled(s.pool.entries[0].id)
        try s.enqueue(SequenceState(id: 3, prompt: a + [1]))
        XCTAssertNil(try XCTUnwrap(s.schedule().admissions.first).choice.restoreFrom)
    }
}
