import XCTest
@testable import PendraEngine

final class NgramDrafterTests: XCTestCase {
    func testProposesWhatFollowedTheLatestEarlierOccurrence() {
        let d = NgramDrafter(maxN: 3, minN: 2, maxDraft: 4)
        //            0  1  2  3  4  5  6  7  8  9
        let h: [Token] = [1, 2, 3, 4, 5, 6, 9, 9, 2, 3]
        XCTAssertEqual(d.draft(h), [4, 5, 6, 9], "after [2, 3] came 4 5 6 9")
        XCTAssertEqual(d.draft(h, limit: 2), [4, 5])
    }

    func testLongerMatchesWinAndTheLatestOccurrenceIsUsed() {
        let d = NgramDrafter(maxN: 3, minN: 1, maxDraft: 2)
        // [7, 2, 3] occurs at 0 (then 10, 11) and [2, 3] at 5 (then 20, 21):
        // the 3-gram is tried first.
        let h: [Token] = [7, 2, 3, 10, 11, 2, 3, 20, 21, 7, 2, 3]
        XCTAssertEqual(d.draft(h), [10, 11])
        let d2 = NgramDrafter(maxN: 2, minN: 2, maxDraft: 2, contextSpan: 0)
        XCTAssertEqual(d2.draft(h), [20, 21], "the latest [2, 3]")
        let d3 = NgramDrafter(maxN: 2, minN: 2, maxDraft: 2)
        XCTAssertEqual(d3.draft(h), [10, 11], "the [2, 3] after a 7, as at the end")
    }

    /// A file written back: every function has the same lines, so the
    /// last n-gram occurs once per function (and in the copy already
    /// written). The occurrence whose preceding tokens agree longest is the
    /// function being copied.
    func testTheOccurrenceWhoseContextAgreesLongestIsCopied() {
        // "def f <i> ( ) : a = b + <i>" with a marker per function.
        func function(_ i: Token) -> [Token] { [100, 101, i, 102, 103, 104, 105, 106, 107, 108, i] }
        let file = (0..<5).flatMap { function(Token($0)) }
        // The copy so far: functions 0 and 1, then the start of function 2
        // up to "a = b +": the 4-gram [105, 106, 107, 108] occurs after
        // every function's header; only the 2 before it says which.
        let copy = function(0) + function(1) + Array(function(2).prefix(10))
        let h = file + [999] + copy
        let d = NgramDrafter(maxN: 4, minN: 2, maxDraft: 3)
        XCTAssertEqual(d.draft(h), [2, 100, 101], "function 2's number, then function 3 starts")
        let latest = NgramDrafter(maxN: 4, minN: 2, maxDraft: 3, contextSpan: 0)
        XCTAssertEqual(latest.draft(h), [1, 100, 101], "without context: the function copied last")
    }

    func testNothingToProposeWithoutARepeat() {
        let d = NgramDrafter()
        XCTAssertEqual(d.draft([1, 2, 3, 4, 5, 6]), [])
        XCTAssertEqual(d.draft([]), [])
        XCTAssertEqual(d.draft([1, 1]), [])
        XCTAssertEqual(NgramDrafter(maxDraft: 0).draft([1, 2, 1, 2, 1, 2]), [])
    }

    /// A draft is cut at the history's end: the copy never reads past it.
    func testDraftEndsAtTheHistory() {
        let d = NgramDrafter(maxN: 2, minN: 2, maxDraft: 8)
        XCTAssertEqual(d.draft([5, 6, 7, 5, 6]), [7, 5, 6])
    }

    func testTheWindowBoundsTheSearch() {
        let d = NgramDrafter(maxN: 2, minN: 2, maxDraft: 2, window: 4)
        let h: [Token] = [1, 2, 3, 0, 0, 0, 0, 1, 2]
        XCTAssertEqual(d.draft(h), [], "the earlier [1, 2] is outside the window")
    }
}

/// Drafts in the scheduler: within the budget, and fewer after wrong guesses.
final class SchedulerDraftTests: XCTestCase {
    func testDecodesCarryDraftsAndWrongGuessesShrinkThem() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512,
                                                  speculation: SpeculationConfig(ngram: NgramDrafter(maxN: 2, minN: 2, maxDraft: 4), adaptive: false)))
        // The prompt repeats [1, 2]: after sampling 1, 2 the guess is 3 4 5 1.
        try s.enqueue(SequenceState(id: 1, prompt: [1, 2, 3, 4, 5, 1], speculative: true))
        var plan = s.schedule()
        s.completeStep(plan)
        s.appendSampled(1, 2)
        plan = s.schedule()
        XCTAssertEqual(plan.entries.map(\.count), [5])
        XCTAssertEqual(plan.entries[0].drafted, 4)
        XCTAssertEqual(plan.drafts[1], [3, 4, 5, 1])
        XCTAssertEqual(s.decodeCount(plan.entries), 1)
        // None accepted: the model said 9; only the decoded token stays.
        s.appendSampled(1, 9)
        s.recordDraft(1, drafted: 4, accepted: 0)
        s.complete([BatchEntry(id: 1, slot: plan.entries[0].slot, start: plan.entries[0].start, count: 1, wantsLogits: true)])
        XCTAssertEqual(s.sequence(1)?.computed, 7)
        XCTAssertEqual(s.sequence(1)?.draftLimit, 2)
        // [2, 9] never occurred: no guess.
        plan = s.schedule()
        XCTAssertEqual(plan.entries.map(\.count), [1])
        XCTAssertTrue(plan.drafts.isEmpty)
    }

    func testNoDraftsForSequencesThatOptedOutOrOnRecurrentMemory() throws {
        let spec = SpeculationConfig(ngram: NgramDrafter(maxN: 2, minN: 2), adaptive: false)
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512, speculation: spec))
        try s.enqueue(SequenceState(id: 1, prompt: [1, 2, 3, 1], speculative: false))
        var plan = s.schedule()
        s.completeStep(plan)
        s.appendSampled(1, 2)
        plan = s.schedule()
        XCTAssertEqual(plan.entries.map(\.count), [1])
        let r = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512,
                                                  memory: .recurrent, speculation: spec))
        XCTAssertFalse(r.config.speculation.isOn)
    }
}
