import XCTest
@testable import PendraEngine

/// The prefill share of a step, from made-up step timings.
final class PrefillPacerTests: XCTestCase {
    func testNothingDecodingMeansTheWholeBudget() {
        var p = PrefillPacer(targetSeconds: 0.2)
        p.observe(decodes: 0, promptTokens: 512, seconds: 0.5)
        XCTAssertEqual(p.prefillTokens(decodes: 0, budget: 512), 512)
    }

    func testOffMeansTheWholeBudget() {
        var p = PrefillPacer(targetSeconds: 0)
        p.observe(decodes: 0, promptTokens: 512, seconds: 0.5)
        XCTAssertEqual(p.prefillTokens(decodes: 4, budget: 508), 508)
    }

    func testBeforeAnyMeasurementTheInitialChunk() {
        let p = PrefillPacer(targetSeconds: 0.2, minimumChunk: 64, initialChunk: 128)
        XCTAssertEqual(p.prefillTokens(decodes: 4, budget: 508), 128)
    }

    /// 1 ms per prompt token, 20 ms for a decode-only step, target 200 ms:
    /// 180 prompt tokens fit beside the decodes.
    func testShareIsTheTargetLessTheDecodeStepOverThePerTokenCost() {
        var p = PrefillPacer(targetSeconds: 0.2)
        p.observe(decodes: 4, promptTokens: 0, seconds: 0.020)
        p.observe(decodes: 0, promptTokens: 500, seconds: 0.5)
        XCTAssertEqual(p.prefillTokens(decodes: 4, budget: 508), 180)
        XCTAssertEqual(p.prefillTokens(decodes: 4, budget: 100), 100, "never more than the budget")
    }

    /// Mixed steps measure the per-token cost net of the decode part; the
    /// averages follow a machine that slows down.
    func testFollowsASlowerMachine() {
        var p = PrefillPacer(targetSeconds: 0.2)
        p.observe(decodes: 4, promptTokens: 0, seconds: 0.020)
        p.observe(decodes: 4, promptTokens: 180, seconds: 0.200)
        let before = p.prefillTokens(decodes: 4, budget: 508)
        XCTAssertEqual(before, 180)
        for _ in 0..<20 { p.observe(decodes: 4, promptTokens: 180, seconds: 0.380) } // 2 ms per token now
        let after = p.prefillTokens(decodes: 4, budget: 508)
        XCTAssertEqual(after, 90, accuracy: 2)
    }

    /// When the decodes alone take more than the target (a slow or loaded
    /// machine), a step may grow to twice the decode step: 300 ms more at
    /// 1 ms a token. The prompt is not starved to the minimum chunk.
    func testASlowMachineStillPrefillsAtAUsefulRate() {
        var p = PrefillPacer(targetSeconds: 0.05, minimumChunk: 64)
        p.observe(decodes: 64, promptTokens: 0, seconds: 0.3)
        p.observe(decodes: 0, promptTokens: 256, seconds: 0.256)
        XCTAssertEqual(p.prefillTokens(decodes: 64, budget: 448), 300)
    }

    func testPrefillAlwaysAdvancesByTheMinimumChunk() {
        var p = PrefillPacer(targetSeconds: 0.2, minimumChunk: 64)
        p.observe(decodes: 4, promptTokens: 0, seconds: 0.001)
        p.observe(decodes: 0, promptTokens: 100, seconds: 100) // 1 s a token
        XCTAssertEqual(p.prefillTokens(decodes: 4, budget: 448), 64)
    }

    func testTinyChunksAndNonsenseTimingsAreIgnored() {
        var p = PrefillPacer(targetSeconds: 0.2, minimumChunk: 64)
        p.observe(decodes: 4, promptTokens: 3, seconds: 0.5)
        p.observe(decodes: 0, promptTokens: 500, seconds: .nan)
        p.observe(decodes: 0, promptTokens: 500, seconds: -1)
        XCTAssertNil(p.secondsPerPromptToken)
    }

    /// The scheduler applies the share: a long prompt arriving while a
    /// stream decodes is prefilled in paced chunks, and in full budget
    /// chunks once nothing decodes.
    func testSchedulerPacesPrefillOnlyWhileStreamsDecode() throws {
        var s = Scheduler(config: SchedulerConfig(slots: 2, tokenBudget: 512, maxWaiting: 4, cells: 4096,
                                                  targetStepSeconds: 0.2))
        try s.enqueue(SequenceState(id: 1, prompt: (0..<300).map { Token($0) }))
        var plan = s.schedule()
        XCTAssertEqual(plan.tokenCount, 300, "nothing decodes: the whole prompt at once")
        s.observeStep(decodes: 0, tokens: 300, seconds: 0.3) // 1 ms per token
        s.completeStep(plan)
        s.appendSampled(1, 7)
        plan = s.schedule()
        s.observeStep(decodes: s.decodeCount(plan.entries), tokens: plan.tokenCount, seconds: 0.02)
        s.completeStep(plan)
        s.appendSampled(1, 7)
        try s.enqueue(SequenceState(id: 2, prompt: (0..<2000).map { Token(5000 + $0) }))
        plan = s.schedule()
        XCTAssertEqual(plan.entries.map(\.count), [1, 180], "one decode, then 200 ms less the decode step at 1 ms a token")
        XCTAssertEqual(s.decodeCount(plan.entries), 1)
        s.completeStep(plan)
        s.appendSampled(1, 7)
        s.remove(1)
        plan = s.schedule()
        XCTAssertEqual(plan.entries.map(\.count), [512], "the stream ended: the whole budget")
    }
}
