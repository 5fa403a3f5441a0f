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
        XCTAssertEqual(r.acceptance(prior: 0.6), 0.6, accuracy: 1e-9)
        // Two accepted, the third rejected, the rest never judged: 2 of 3.
        r.record(drafted: 8, accepted: 2)
        XCTAssertEqual(r.acceptance(prior: 0.6), (2 + 0.6) / (3 + 1), accuracy: 1e-9)
        for _ in 0..<30 { r.record(drafted: 8, accepted: 8) }
        XCTAssertGreaterThan(r.acceptance(prior: 0.6), 0.95)
        for _ in 0..<30 { r.record(drafted: 4, accepted: 0) }
        XCTAssertLessThan(r.acceptance(prior: 0.6), 0.2)
    }
}

/// The gate in the scheduler: a sequence copying a cycle of tokens always
/// finds a guess; whether it drafts depends on what the steps cost.
final class SchedulerGateTests: XCTestCase {
    /// Which of `steps` steps carried drafts, on a machine where a step
    /// costs `fixed + perToken × tokens` and every guess is rejected.
    private func drafted(steps: Int, fixed: Double, perToken: Double) throws -> [Bool] {
        var s = Scheduler(config: SchedulerConfig(slots: 1, tokenBudget: 64, maxWaiting: 4, cells: 512,
                                                  speculation: SpeculationConfig(ngram: NgramDrafter(maxN: 2, minN: 2, maxDraft: 4))))
        let cycle: [Token] = [1, 2, 3, 4, 5]
        try s.enqueue(SequenceState(id: 1, prompt: Array(Array(repeating: cycle, count: 4).joined()), speculative: true))
        var plan = s.schedule()
        s.completeStep(plan)
        var next = 0
        s.appendSampled(1, cycle[next % 5])
        next += 1
        var out: [Bool] = []
        for _ in 0..<steps {
            plan = s.schedule()
            let e = try XCTUnwrap(plan.entries.first)
            out.append(e.drafted > 0)
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
}

