import XCTest
@testable import PendraEngine

/// The scheduler as a pure state machine, driven with made-up token ids.
final class SchedulerTests: XCTestCase {
    private func makeScheduler(slots: Int = 4, budget: Int = 16, waiting: Int = 8, cells: Int = 256) -> Scheduler {
        Scheduler(config: SchedulerConfig(slots: slots, tokenBudget: budget, maxWaiting: waiting, cells: cells))
    }

    private func prompt(_ n: Int, base: Int32 = 1000) -> [Token] { (0..<n).map { base + Int32($0) } }

    /// Runs one step the way the engine does: decode the plan, then sample a
    /// token for every entry that asked for logits.
    @discardableResult
    private func step(_ s: inout Scheduler, sample: Token = 7) -> StepPlan {
        let plan = s.schedule()
        s.completeStep(plan)
        for e in plan.entries where e.wantsLogits { s.appendSampled(e.id, sample) }
        return plan
    }

    func testAdmissionIsFirstComeFirstServedUpToSlots() throws {
        var s = makeScheduler(slots: 2)
        for id in 1...3 { try s.enqueue(SequenceState(id: UInt64(id), prompt: prompt(4, base: Int32(id) * 100))) }
        let plan = s.schedule()
        XCTAssertEqual(plan.admissions.map(\.id), [1, 2])
        XCTAssertEqual(s.waiting.map(\.id), [3])
        XCTAssertEqual(Set(plan.admissions.map(\.choice.slot)).count, 2)
    }

    func testDecodesComeFirstThenPrefillFillsTheBudget() throws {
        var s = makeScheduler(slots: 4, budget: 10)
        try s.enqueue(SequenceState(id: 1, prompt: prompt(3, base: 100)))
        step(&s)  // prefill of 1 completes and samples
        try s.enqueue(SequenceState(id: 2, prompt: prompt(30, base: 200)))
        let plan = s.schedule()
        XCTAssertEqual(plan.entries.first, BatchEntry(id: 1, slot: plan.entries[0].slot, start: 3, count: 1, wantsLogits: true))
        XCTAssertEqual(plan.entries[1].id, 2)
        XCTAssertEqual(plan.entries[1].count, 9, "the rest of the budget goes to the prefill chunk")
        XCTAssertFalse(plan.entries[1].wantsLogits, "a partial prefill needs no logits")
        XCTAssertEqual(plan.tokenCount, 10)
    }

    func testLongPromptIsChunkedAndNeverStallsARunningStream() throws {
        var s = makeScheduler(slots: 2, budget: 8, cells: 512)
        try s.enqueue(SequenceState(id: 1, prompt: prompt(2, base: 100)))
        step(&s)
        try s.enqueue(SequenceState(id: 2, prompt: prompt(40, base: 300)))
        var chunks: [Int] = []
        for _ in 0..<6 {
            let plan = step(&s)
            XCTAssertTrue(plan.entries.contains { $0.id == 1 && $0.count == 1 }, "stream 1 decodes every step")
            if let e = plan.entries.first(where: { $0.id == 2 }) { chunks.append(e.count) }
        }
        XCTAssertEqual(chunks, [7, 7, 7, 7, 7, 5])
        XCTAssertEqual(s.sequence(2)?.computed, 40)
        XCTAssertEqual(s.sequence(2)?.generatedCount, 1, "the last chunk produced the first token")
    }

    func testQueueFullAndPromptTooLongAreTypedErrors() throws {
        var s = makeScheduler(slots: 1, waiting: 2, cells: 64)
        XCTAssertThrowsError(try s.enqueue(SequenceState(id: 9, prompt: prompt(64)))) { e in
            XCTAssertEqual(e as? SchedulerError, .promptTooLong(tokens: 64, limit: 63))
        }
        XCTAssertThrowsError(try s.enqueue(SequenceState(id: 8, prompt: []))) { e in
            XCTAssertEqual(e as? SchedulerError, .emptyPrompt)
        }
        try s.enqueue(SequenceState(id: 1, prompt: prompt(4)))
        try s.enqueue(SequenceState(id: 2, prompt: prompt(4)))
        XCTAssertThrowsError(try s.enqueue(SequenceState(id: 3, prompt: prompt(4)))) { e in
            XCTAssertEqual(e as? SchedulerError, .queueFull(limit: 2))
        }
    }

    func testFinishedSequenceLeavesItsPrefixForTheNextRequest() throws {
        var s = makeScheduler(slots: 2)
        let p = prompt(10)
        try s.enqueue(SequenceState(id: 1, prompt: p))
        step(&s)
        step(&s)  // decodes the sampled token too
        s.remove(1)
        XCTAssertEqual(s.kv.slots.filter { !$0.tokens.isEmpty }.count, 1)

        try s.enqueue(SequenceState(id: 2, prompt: p + [55, 56]))
        let plan = s.schedule()
        XCTAssertEqual(plan.admissions.first?.choice.reused, 10)
        XCTAssertEqual(plan.entries.first?.start, 10)
        XCTAssertEqual(plan.entries.first?.count, 2)
        XCTAssertEqual(s.sequence(2)?.reused, 10)
    }

    func testIdenticalPromptStillComputesItsLastToken() throws {
        var s = makeScheduler(slots: 1)
        let p = prompt(6)
        try s.enqueue(SequenceState(id: 1, prompt: p))
        step(&s)
        s.remove(1)
        try s.enqueue(SequenceState(id: 2, prompt: p))
        let plan = s.schedule()
        XCTAssertEqual(plan.admissions.first?.choice.reused, 5, "one token is left to produce logits")
        XCTAssertEqual(plan.entries.first, BatchEntry(id: 2, slot: 0, start: 5, count: 1, wantsLogits: true))
    }

    func testConcurrentRequestSharesARunningSequencesPrefix() throws {
        var s = makeScheduler(slots: 3, budget: 64, cells: 100)
        let system = prompt(20)
        try s.enqueue(SequenceState(id: 1, prompt: system + [1, 2]))
        step(&s)
        let usedAfterFirst = s.kv.usedCells
        try s.enqueue(SequenceState(id: 2, prompt: system + [3, 4, 5]))
        let plan = s.schedule()
        let admission = try XCTUnwrap(plan.admissions.first)
        XCTAssertEqual(admission.choice.reused, 20)
        XCTAssertNotNil(admission.choice.shareFrom, "cells come from the running sequence")
        XCTAssertEqual(s.kv.usedCells, usedAfterFirst, "sharing takes no new cells")
        s.completeStep(plan)
        XCTAssertEqual(s.kv.usedCells, usedAfterFirst + 1 + 3, "only the decode and the new suffix took cells")
    }

    func testIdleCachesAreEvictedLeastRecentlyUsedFirstWhenCellsRunOut() throws {
        var s = makeScheduler(slots: 3, budget: 64, cells: 40)
        try s.enqueue(SequenceState(id: 1, prompt: prompt(15, base: 100)))
        step(&s); s.remove(1)
        try s.enqueue(SequenceState(id: 2, prompt: prompt(15, base: 200)))
        step(&s); s.remove(2)
        XCTAssertEqual(s.kv.freeCells, 10)
        try s.enqueue(SequenceState(id: 3, prompt: prompt(15, base: 300)))
        let plan = s.schedule()
        XCTAssertEqual(plan.evictions.count, 1)
        let evicted = plan.evictions[0]
        XCTAssertTrue(s.kv.slots[evicted].tokens.isEmpty)
        // Slot of sequence 2 (used later) keeps its prefix.
        XCTAssertEqual(s.kv.slots.filter { $0.tokens.first == 200 }.count, 1)
        s.completeStep(plan)
        XCTAssertEqual(s.sequence(3)?.computed, 15)
    }

    func testRunningSequenceIsPreemptedWhenDecodesCannotFindCells() throws {
        var s = makeScheduler(slots: 2, budget: 64, cells: 24)
        try s.enqueue(SequenceState(id: 1, prompt: prompt(10, base: 100)))
        try s.enqueue(SequenceState(id: 2, prompt: prompt(10, base: 200)))
        step(&s)  // both prefilled: 20 cells
        for _ in 0..<2 { step(&s) }  // 2 decodes each: 24 cells, full
        XCTAssertEqual(s.kv.freeCells, 0)
        let plan = step(&s)
        XCTAssertEqual(plan.preempted.map(\.id), [2], "the latest admission gives way")
        XCTAssertEqual(plan.entries.map(\.id), [1])
        XCTAssertEqual(s.waiting.first?.id, 2)
        XCTAssertEqual(s.waiting.first?.computed, 0)
        XCTAssertEqual(s.waiting.first?.tokens.count, 13, "prompt and generated tokens are recomputed later")
        s.remove(1)
        let again = s.schedule()
        XCTAssertEqual(again.admissions.map(\.id), [2])
    }

    func testCancelledWaitingSequenceNeverRuns() throws {
        var s = makeScheduler(slots: 1)
        try s.enqueue(SequenceState(id: 1, prompt: prompt(3)))
        try s.enqueue(SequenceState(id: 2, prompt: prompt(3, base: 50)))
        step(&s)
        XCTAssertNotNil(s.remove(2))
        s.remove(1)
        XCTAssertTrue(s.schedule().isEmpty)
        XCTAssertTrue(s.waiting.isEmpty && s.running.isEmpty)
    }

    func testBudgetIsNeverExceededAndEveryRunningSequenceProgresses() throws {
        var s = makeScheduler(slots: 8, budget: 12, waiting: 64, cells: 2048)
        var next: UInt64 = 1
        var rng = SystemRandomNumberGenerator()
        for round in 0..<200 {
            if round % 3 == 0 && s.waiting.count < 10 {
                try s.enqueue(SequenceState(id: next, prompt: prompt(Int.random(in: 1...40, using: &rng), base: Int32(next) * 50)))
                next += 1
            }
            let plan = step(&s)
            XCTAssertLessThanOrEqual(plan.tokenCount, 12)
            let decoding = s.running.filter { $0.pending == 1 }.count
            XCTAssertLessThanOrEqual(decoding, 8)
            // Finish sequences that generated 5 tokens.
            for r in s.running where r.generatedCount >= 5 { s.remove(r.id) }
            XCTAssertLessThanOrEqual(s.kv.usedCells, 2048)
        }
    }
}

/// The bound on cells kept by finished sequences.
final class PrefixCacheBudgetTests: XCTestCase {
    func testIdlePrefixesBeyondTheBudgetAreTrimmedOldestFirstButTheNewestStays() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 4, tokenBudget: 64, maxWaiting: 8, cells: 400, prefixCacheCells: 25))
        for id in 1...3 {
            try s.enqueue(SequenceState(id: UInt64(id), prompt: (0..<20).map { Int32(id * 100 + $0) }))
            let plan = s.schedule()
            s.completeStep(plan)
            s.remove(UInt64(id))
        }
        XCTAssertEqual(s.kv.reclaimableCells, 60)
        let cleared = s.trimPrefixCache()
        XCTAssertEqual(cleared.count, 2, "two oldest go; 20 cells stay within the 25-cell budget")
        XCTAssertEqual(s.kv.reclaimableCells, 20)
        XCTAssertEqual(s.kv.slots.first { !$0.tokens.isEmpty }?.tokens.first, 300, "the newest prefix is kept")
    }

    func testTheNewestPrefixStaysEvenWhenItAloneExceedsTheBudget() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 8, cells: 400, prefixCacheCells: 10))
        try s.enqueue(SequenceState(id: 1, prompt: (0..<50).map { Int32($0) }))
        s.completeStep(s.schedule())
        s.remove(1)
        XCTAssertEqual(s.trimPrefixCache(), [])
        XCTAssertEqual(s.kv.reclaimableCells, 50)
    }
}
