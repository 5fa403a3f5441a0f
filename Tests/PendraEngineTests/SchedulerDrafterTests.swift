import XCTest
@testable import PendraEngine

/// The scheduler asking a drafter (a draft model, here a scripted fake):
/// every drafting sequence in one call, within the budget and the limits,
/// and only when the config speculates.
final class SchedulerDrafterTests: XCTestCase {
    /// Answers from a script and records what it was asked.
    final class ScriptedDrafter: Drafter {
        var calls: [[DraftRequest]] = []
        var answers: [UInt64: [Token]] = [:]
        func draft(_ requests: [DraftRequest]) -> [UInt64: [Token]] {
            calls.append(requests)
            return answers
        }
    }

    private let draftModel = SpeculationConfig(draftModel: DraftModelOptions(path: "/d.gguf", maxDraft: 4), adaptive: false)

    /// Sequences past their prefill (one step: budgets of 4 and more): each has sampled one token.
    private func decoding(_ s: inout Scheduler, speculative: [Bool] = [true, true]) throws {
        for (i, spec) in speculative.enumerated() {
            try s.enqueue(SequenceState(id: UInt64(i + 1), prompt: [10, 11], speculative: spec))
        }
        s.completeStep(s.schedule())
        for i in speculative.indices { s.appendSampled(UInt64(i + 1), 20) }
    }

    func testEveryDraftingSequenceIsAskedInOneCall() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512, speculation: draftModel))
        try decoding(&s)
        let d = ScriptedDrafter()
        d.answers = [1: [30, 31, 32, 33, 34, 35], 2: [40]]
        let plan = s.schedule(drafter: d)
        XCTAssertEqual(d.calls.count, 1)
        XCTAssertEqual(d.calls[0].map(\.id), [1, 2])
        XCTAssertEqual(d.calls[0].map(\.limit), [4, 4], "draft_max")
        XCTAssertEqual(d.calls[0][0].tokens, [10, 11, 20])
        XCTAssertEqual(Set(d.calls[0].map(\.slot)), Set(plan.entries.map(\.slot)))
        // A longer answer is cut at the limit.
        XCTAssertEqual(plan.drafts, [1: [30, 31, 32, 33], 2: [40]])
        XCTAssertEqual(plan.entries.map(\.count), [5, 2])
        XCTAssertEqual(plan.entries.map(\.drafted), [4, 1])
        XCTAssertEqual(s.decodeCount(plan.entries), 2)
    }

    /// Room is set aside for each request's whole limit, in admission order,
    /// so the step never passes its budget.
    func testLimitsStayWithinTheBudget() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 5, maxWaiting: 4, cells: 512, speculation: draftModel))
        try decoding(&s)
        let d = ScriptedDrafter()
        d.answers = [1: [30, 31, 32, 33], 2: [40, 41]]
        let plan = s.schedule(drafter: d)
        XCTAssertEqual(d.calls[0].map(\.limit), [3], "5 tokens: two decodes, three left for drafts")
        XCTAssertEqual(plan.drafts, [1: [30, 31, 32]])
        XCTAssertLessThanOrEqual(plan.tokenCount, 5)
    }

    func testOptedOutSequencesAreNotAskedAndNoAnswerPausesDrafting() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512, speculation: draftModel))
        try decoding(&s, speculative: [true, false])
        let d = ScriptedDrafter()
        var plan = s.schedule(drafter: d)
        XCTAssertEqual(d.calls.map { $0.map(\.id) }, [[1]])
        XCTAssertTrue(plan.drafts.isEmpty)
        XCTAssertEqual(plan.entries.map(\.count), [1, 1])
        // No guess: the next step does not ask (a pause of one step), the one after does.
        s.completeStep(plan)
        s.appendSampled(1, 21)
        s.appendSampled(2, 21)
        plan = s.schedule(drafter: d)
        XCTAssertEqual(d.calls.count, 1)
        s.completeStep(plan)
        s.appendSampled(1, 22)
        s.appendSampled(2, 22)
        d.answers = [1: [50, 51]]
        plan = s.schedule(drafter: d)
        XCTAssertEqual(d.calls.count, 2)
        XCTAssertEqual(plan.drafts, [1: [50, 51]])
    }

    /// An empty answer (a draft model still filling its cache) is no miss:
    /// the sequence is asked again at the very next step.
    func testAnEmptyAnswerIsAskedAgainNextStep() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512, speculation: draftModel))
        try decoding(&s, speculative: [true])
        let d = ScriptedDrafter()
        d.answers = [1: []]
        var plan = s.schedule(drafter: d)
        XCTAssertTrue(plan.drafts.isEmpty)
        XCTAssertEqual(plan.entries.map(\.count), [1])
        s.completeStep(plan)
        s.appendSampled(1, 21)
        d.answers = [1: [50]]
        plan = s.schedule(drafter: d)
        XCTAssertEqual(d.calls.count, 2)
        XCTAssertEqual(plan.drafts, [1: [50]])
    }

    /// A drafter is asked only when the config speculates (recurrent memory
    /// turns it off), and a draft-model config without the drafter drafts nothing.
    func testOnlyWhenTheConfigSpeculates() throws {
        let d = ScriptedDrafter()
        d.answers = [1: [30], 2: [30]]
        var off = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512))
        try decoding(&off)
        XCTAssertTrue(off.schedule(drafter: d).drafts.isEmpty)
        var recurrent = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512,
                                                          memory: .recurrent, speculation: draftModel))
        try decoding(&recurrent)
        XCTAssertTrue(recurrent.schedule(drafter: d).drafts.isEmpty)
        XCTAssertTrue(d.calls.isEmpty)
        var unserved = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512, speculation: draftModel))
        try decoding(&unserved)
        XCTAssertTrue(unserved.schedule().drafts.isEmpty)
    }

    /// Accepted counts adapt the limit up to draft_max, for a draft model as for n-grams.
    func testDraftLimitAdaptsToDraftMax() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 64, maxWaiting: 4, cells: 512, speculation: draftModel))
        try decoding(&s, speculative: [true])
        s.recordDraft(1, drafted: 4, accepted: 0)
        XCTAssertEqual(s.sequence(1)?.draftLimit, 2)
        s.recordDraft(1, drafted: 2, accepted: 2)
        XCTAssertEqual(s.sequence(1)?.draftLimit, 4)
        s.recordDraft(1, drafted: 4, accepted: 4)
        XCTAssertEqual(s.sequence(1)?.draftLimit, 4, "never past draft_max")
    }
}
