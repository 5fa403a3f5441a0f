import XCTest
@testable import PendraEngine

/// Whether drafting pays, from made-up step timings.
final class SpeculationGateTests: XCTestCase {
    /// Steps of the given sizes on a machine whose step costs `fixed + perToken × tokens`.
    private func gate(fixed: Double, perToken: Double, sizes: [Int], repeats: Int = 4) -> SpeculationGate {
        var g = SpeculationGate()
        for _ in 0..<repeats {
            for x in sizes { g.observe(tokens: x, seconds: fixed + perToken * Double(x)) }
        }
        return g
    }

    func testUnmeasuredCostDraftsInFull() {
        XCTAssertEqual(SpeculationGate().draftLength(limit: 8, acceptance: 0.1, decodes: 1), 8)
    }

    func testStepsOfOneSizeCannotTellTheCostPerToken() {
        let g = gate(fixed: 0.01, perToken: 0.02, sizes: [1], repeats: 20)
        XCTAssertNil(g.fit)
        XCTAssertEqual(g.draftLength(limit: 5, acceptance: 0.1, decodes: 1), 5)
    }

    func testTheFitRecoversTheStepCost() throws {
        let g = gate(fixed: 0.010, perToken: 0.021, sizes: [1, 1, 6, 3])
        let fit = try XCTUnwrap(g.fit)
        XCTAssertEqual(fit.fixed, 0.010, accuracy: 1e-6)
        XCTAssertEqual(fit.perToken, 0.021, accuracy: 1e-6)
    }

    /// Two CPU cores (measured on spec-edit: 35 ms for one token, ~21 ms per
    /// guess more): at 55% acceptance a guess costs more than it saves.
    func testComputeBoundCPUTurnsMediocreDraftsOff() {
        let g = gate(fixed: 0.014, perToken: 0.021, sizes: [1, 1, 6, 3])
        XCTAssertEqual(g.draftLength(limit: 8, acceptance: 0.55, decodes: 1), 0)
        // Text copied nearly verbatim still pays: 0.95^k × 35 ms > 21 ms up to k = 9.
        XCTAssertEqual(g.draftLength(limit: 8, acceptance: 0.95, decodes: 1), 8)
        XCTAssertEqual(g.draftLength(limit: 20, acceptance: 0.95, decodes: 1), 9)
    }

    /// A GPU reads the weights once per step: a guess costs a fraction of a token.
    func testBandwidthBoundDecodeDraftsEvenAtLowAcceptance() {
        let g = gate(fixed: 0.020, perToken: 0.0005, sizes: [1, 1, 6, 3])
        // 0.3^k × 20.5 ms > 0.5 ms while k <= 3.
        XCTAssertEqual(g.draftLength(limit: 8, acceptance: 0.3, decodes: 1), 3)
    }

    /// Many streams share a step: a saved token is worth a 64th of it.
    func testManyStreamsShareTheSaving() {
        let g = gate(fixed: 0.020, perToken: 0.0005, sizes: [64, 64, 70, 67])
        XCTAssertEqual(g.draftLength(limit: 8, acceptance: 0.6, decodes: 64), 0)
        XCTAssertGreaterThan(g.draftLength(limit: 8, acceptance: 0.6, decodes: 1), 0)
    }

    func testTheFitFollowsTheMachine() {
        var g = gate(fixed: 0.020, perToken: 0.0005, sizes: [1, 6])
        XCTAssertGreaterThan(g.draftLength(limit: 8, acceptance: 0.5, decodes: 1), 0)
        // The machine got busy: every token now costs ten times as much.
        for _ in 0..<100 {
            for x in [1, 6] { g.observe(tokens: x, seconds: 0.020 + 0.02 * Double(x)) }
        }
        XCTAssertEqual(g.draftLength(limit: 8, acceptance: 0.45, decodes: 1), 0)
    }

    func testDraftRecordCountsTheFirstRejectionOnly() {
        var r = DraftRecord()
        XCTAssertEqual(r.survival(limit: 2, prior: 0.6), [0.6, 0.36])
        // Two accepted, the third rejected, the rest never judged.
        r.record(drafted: 8, accepted: 2)
        let s = r.survival(limit: 4, prior: 0.6)
        let q1 = (1 + 0.6) / 2, q2 = (1 + q1) / 2, q3 = (0 + q2) / 2
        XCTAssertEqual(s[0], q1, accuracy: 1e-9)
        XCTAssertEqual(s[1], q1 * q2, accuracy: 1e-9)
        XCTAssertEqual(s[2], q1 * q2 * q3, accuracy: 1e-9)
        XCTAssertEqual(s[3], q1 * q2 * q3 * q3, accuracy: 1e-9, "never judged: leans on the position before")
        for _ in 0..<30 { r.record(drafted: 8, accepted: 8) }
        XCTAssertGreaterThan(r.survival(limit: 8, prior: 0.6)[7], 0.9)
        for _ in 0..<30 { r.record(drafted: 4, accepted: 0) }
        XCTAssertLessThan(r.survival(limit: 1, prior: 0.6)[0], 0.15, "(0 + 0.6) / (5 + 1): decay 0.8 keeps about 5 judged")
    }

    /// Copied text: a draft fails at its first guess or runs long (spec-edit
    /// on SmolLM2: of 43 drafts of 8, 9 had no guess accepted, 21 all 8).
    /// Past the first guess the rest are likely: one rate for all would say
    /// 0.67 each and price guess 8 at 0.04.
    func testRunsOfAcceptanceRaiseTheLaterPositions() {
        var r = DraftRecord()
        for a in [8, 0, 8, 4, 8, 0, 8, 3, 8, 8] { r.record(drafted: 8, accepted: a) }
        let s = r.survival(limit: 8, prior: 0.6)
        // Guess 8 is used in most drafts whose first guess is, where one
        // rate would make that s[0]^7.
        XCTAssertGreaterThan(s[7] / s[0], 0.7)
        XCTAssertGreaterThan(s[7] / s[0], pow(s[0], 7) * 2)
    }

    /// Steps measured on spec-edit (SmolLM2, 2 cores, flash attention off,
    /// ~3,100 cells): 20 ms for one token, 33 for two, 42 for three, 54 for
    /// five, 77 for nine. A line through the small steps alone prices a guess
    /// at 11 ms; the long draft's own timing says 7.
    private let cpuSteps: [Int: Double] = [1: 0.0199, 2: 0.0331, 3: 0.0418, 5: 0.0539, 9: 0.0767]

    func testTheCostOfEachStepSizeIsKept() throws {
        var g = SpeculationGate()
        for _ in 0..<4 { for x in [1, 9] { g.observe(tokens: x, seconds: cpuSteps[x]!) } }
        for _ in 0..<60 { for x in [1, 2, 3] { g.observe(tokens: x, seconds: cpuSteps[x]!) } }
        XCTAssertEqual(try XCTUnwrap(g.cost(9)), 0.0767, accuracy: 1e-9, "not forgotten while short drafts ran")
        XCTAssertEqual(try XCTUnwrap(g.cost(6)), 0.0418 + 0.5 * (0.0767 - 0.0418), accuracy: 1e-9, "between sizes seen")
        // Survival as measured on spec-edit: long drafts pay here.
        let measured = [0.79, 0.77, 0.74, 0.67, 0.51, 0.49, 0.49, 0.49]
        XCTAssertEqual(g.draftLength(limit: 8, survival: measured, decodes: 1), 8)
        // One rate of 0.67 for every guess: only short drafts would pay.
        XCTAssertLessThanOrEqual(g.draftLength(limit: 8, acceptance: 0.67, decodes: 1), 3)
    }

    /// A dear second token and cheaper ones after it: a draft of one may not
    /// pay where a draft of eight does, so the best length is chosen over
    /// all lengths, not by stopping at the first guess that loses.
    func testTheBestLengthIsNotTheFirstThatLoses() {
        var g = SpeculationGate()
        for _ in 0..<4 { for x in [1, 2, 9] { g.observe(tokens: x, seconds: [1: 0.020, 2: 0.036, 9: 0.070][x]!) } }
        // Each guess used with chance 0.7: guess 1 alone saves 0.7 × 20 = 14 ms
        // for 16 more, all eight save 5.6 × 20 = 112 ms for 50 more.
        XCTAssertEqual(g.draftLength(limit: 8, survival: Array(repeating: 0.7, count: 8), decodes: 1), 8,
                       "guess 1 alone: 14 ms saved for 16; all eight: 112 for 50")
    }
}

/// The gate in the scheduler: a sequence copying a cycle of tokens always
/// finds a guess; whether it drafts depends on what the steps cost.
final class SchedulerGateTests: XCTestCase {
    /// Which of `steps` steps carried drafts, on a machine where a step
    /// costs `fixed + perToken × tokens` and every guess is rejected.
    private func drafted(steps: Int, fixed: Double, perToken: Double) throws -> [Bool] {
        try draftSizes(steps: steps, fixed: fixed, perToken: perToken).map { $0 > 0 }
    }

    /// The guesses each step carried.
    private func draftSizes(steps: Int, fixed: Double, perToken: Double) throws -> [Int] {
        var s = Scheduler(config: SchedulerConfig(slots: 1, tokenBudget: 64, maxWaiting: 4, cells: 512,
                                                  speculation: SpeculationConfig(ngram: NgramDrafter(maxN: 2, minN: 2, maxDraft: 4))))
        let cycle: [Token] = [1, 2, 3, 4, 5]
        try s.enqueue(SequenceState(id: 1, prompt: Array(Array(repeating: cycle, count: 4).joined()), speculative: true))
        var plan = s.schedule()
        s.completeStep(plan)
        var next = 0
        s.appendSampled(1, cycle[next % 5])
        next += 1
        var out: [Int] = []
        for _ in 0..<steps {
            plan = s.schedule()
            let e = try XCTUnwrap(plan.entries.first)
            out.append(e.drafted)
            s.observeStep(decodes: 1, tokens: e.count, drafts: e.drafted, seconds: fixed + perToken * Double(e.count))
            if e.drafted > 0 { s.recordDraft(1, drafted: e.drafted, accepted: 0) }
            s.complete([BatchEntry(id: 1, slot: e.slot, start: e.start, count: 1, wantsLogits: true)])
            s.appendSampled(1, cycle[next % 5])
            next += 1
        }
        return out
    }

    func testDraftsThatDoNotPayStopAndAreProbedAgain() throws {
        let d = try drafted(steps: 60, fixed: 0.014, perToken: 0.021)
        XCTAssertTrue(d[0], "unmeasured: it drafts")
        let off = try XCTUnwrap(d.firstIndex(of: false))
        XCTAssertEqual(Array(d[off...(off + 16)]), Array(repeating: false, count: 17), "turned off for the probe interval")
        XCTAssertTrue(d[off + 17], "then one probe")
        XCTAssertFalse(d[off + 18], "which did not pay either")
        XCTAssertLessThan(d.filter { $0 }.count, 14)
    }

    func testCheapVerificationKeepsDrafting() throws {
        // A guess costs 1/40 of a step: even at the ~10% acceptance that
        // rejected guesses leave (the prior weighs as one judged guess), one
        // guess a step pays, measured or not (the fit is known from step 8).
        let d = try drafted(steps: 40, fixed: 0.020, perToken: 0.0005)
        XCTAssertEqual(d, Array(repeating: true, count: 40))
    }

    /// Before the cost is known a rejected draft halves the next (so steps
    /// differ in size and the cost can be fitted); after, the gate alone
    /// sets the length. Every guess here is rejected, so the first is used
    /// with a chance of about 0.1 and the second 0.01, and a guess costs
    /// 0.1 ms of a 20 ms step: two guesses gain most (the halving would
    /// have left one).
    func testOnceTheCostIsKnownTheGateAloneSetsTheLength() throws {
        let d = try draftSizes(steps: 24, fixed: 0.020, perToken: 0.0001)
        XCTAssertEqual(Array(d.prefix(3)), [4, 2, 1], "halved while the cost is unknown")
        XCTAssertEqual(Array(d.suffix(8)), Array(repeating: 2, count: 8))
    }
}

extension SpeculationGate {
    /// draftLength for guesses each accepted with probability `acceptance`
    /// whatever came before (guess i is used with chance acceptance^i): the
    /// one-rate model the gate had before DraftRecord kept positions.
    func draftLength(limit: Int, acceptance: Double, decodes: Int) -> Int {
        let p = min(max(acceptance, 0), 0.999)
        var reach = 1.0
        let survival = (0..<max(0, min(limit, 256))).map { _ in reach *= p; return reach }
        return draftLength(limit: limit, survival: survival, decodes: decodes)
    }
}
