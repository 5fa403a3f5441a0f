import XCTest
@testable import PendraEngine
import PendraJinja

/// The engine on the generated random-weight llama model (CPU).
final class ChatEngineTests: XCTestCase {
    nonisolated(unsafe) static var model: LlamaModel?

    func loadModel() throws -> LlamaModel {
        if let m = Self.model { return m }
        let m = try LlamaModel(path: try TestModels.path("tiny-llama.gguf"), gpuLayers: 0)
        Self.model = m
        return m
    }

    func makeEngine(parallel: Int = 16, context: Int = 4096, batch: Int = 512, maxWaiting: Int = 64) throws -> ChatEngine {
        try ChatEngine(model: try loadModel(),
                       settings: ContextSettings(contextSize: context, parallel: parallel, batchSize: batch, threads: 2),
                       maxWaiting: maxWaiting)
    }

    private func prompt(_ model: LlamaModel, _ text: String) -> [Token] {
        model.tokenize(text, addSpecial: true, parseSpecial: true)
    }

    private func greedy(_ tokens: [Token], max: Int = 24, stop: [String] = []) -> GenerationRequest {
        GenerationRequest(prompt: tokens, sampling: .greedy, maxTokens: max, stop: stop)
    }

    func testTokenizerRoundTripMatchesLlama3() throws {
        let m = try loadModel()
        let t = m.tokenize("Hello, world!", addSpecial: true, parseSpecial: false)
        XCTAssertEqual(t, [128000, 9906, 11, 1917, 0])
        XCTAssertEqual(m.detokenize(Array(t.dropFirst())), "Hello, world!")
    }

    func testLlama3TemplateIsToldTodaysDate() throws {
        let m = try loadModel()
        let template = try ChatTemplate(source: m.chatTemplate, bosToken: m.tokenText(m.bos) ?? "", eosToken: "")
        let text = try template.render(messages: [ChatMessage(role: "user", content: "hi")], tools: [])
        let today = Strftime.format("%d %b %Y", Date(), utc: false)
        XCTAssertTrue(text.contains("Today Date: \(today)\n"), text)
        XCTAssertFalse(text.contains("26 Jul 2024"), text)
    }

    func testGreedyOutputIsTheSameAloneAndInABatchOfSixteen() async throws {
        let engine = try makeEngine()
        defer { engine.shutdown() }
        let m = engine.model
        let target = prompt(m, "The quick brown fox jumps over the lazy dog")
        let alone = await try engine.submit(greedy(target)).collect()
        XCTAssertEqual(alone.result.usage.completionTokens, 24)

        // Fifteen others with different prompts, all submitted together.
        var streams = [try engine.submit(greedy(target))]
        for i in 0..<15 {
            streams.append(try engine.submit(greedy(prompt(m, "Unrelated prompt number \(i) about \(i * 7) apples"))))
        }
        var results: [(text: String, result: GenerationResult)] = []
        for s in streams { results.append(await s.collect()) }
        XCTAssertEqual(results[0].text, alone.text, "batching must not change greedy output")
        XCTAssertEqual(results[0].result.reason, .length)
        XCTAssertTrue(results.allSatisfy { $0.result.usage.completionTokens == 24 })
        XCTAssertGreaterThan(engine.snapshot.kvCellsUsed, 0)
    }

    func testPrefixReuseGivesTheColdOutputAndReportsReusedTokens() async throws {
        let engine = try makeEngine(parallel: 4)
        defer { engine.shutdown() }
        let m = engine.model
        let system = prompt(m, String(repeating: "You are a careful assistant who answers briefly. ", count: 12))
        let a = system + m.tokenize(" First question?", addSpecial: false, parseSpecial: false)
        let b = system + m.tokenize(" Second question, different?", addSpecial: false, parseSpecial: false)

        // Cold reference for b on a fresh engine.
        let cold = try makeEngine(parallel: 4)
        let coldB = await try cold.submit(greedy(b)).collect()
        cold.shutdown()
        XCTAssertEqual(coldB.result.usage.reusedPromptTokens, 0)

        _ = await try engine.submit(greedy(a)).collect()
        let warmB = await try engine.submit(greedy(b)).collect()
        XCTAssertEqual(warmB.text, coldB.text, "reused prefix must give the same greedy output")
        XCTAssertGreaterThanOrEqual(warmB.result.usage.reusedPromptTokens, system.count)
        XCTAssertLessThan(warmB.result.usage.reusedPromptTokens, b.count)
    }

    func testConcurrentRequestsShareARunningPrefix() async throws {
        let engine = try makeEngine(parallel: 4)
        defer { engine.shutdown() }
        let m = engine.model
        let system = prompt(m, String(repeating: "Shared context sentence. ", count: 20))
        let first = try engine.submit(greedy(system + [9906], max: 40))
        // Let the first one prefill, then join while it still decodes.
        try await Task.sleep(nanoseconds: 50_000_000)
        let second = await try engine.submit(greedy(system + [1917], max: 8)).collect()
        _ = await first.collect()
        XCTAssertGreaterThanOrEqual(second.result.usage.reusedPromptTokens, system.count)
    }

    func testCancellingOneOfManyLeavesTheOthersUnchangedAndFreesItsCells() async throws {
        let engine = try makeEngine(parallel: 4)
        defer { engine.shutdown() }
        let m = engine.model
        let prompts = (0..<3).map { prompt(m, "Story \($0): once upon a time") }
        var reference: [String] = []
        for p in prompts { reference.append(await try engine.submit(greedy(p, max: 30)).collect().text) }

        let victim = try engine.submit(greedy(prompt(m, "This one will be cancelled soon"), max: 3000))
        let others = try prompts.map { try engine.submit(greedy($0, max: 30)) }
        var victimTokens = 0
        for await e in victim {
            if case .text = e { victimTokens += 1 }
            if victimTokens == 5 { engine.cancel(victim.id) }
            if case .finished(let r) = e { XCTAssertEqual(r.reason, .cancelled) }
        }
        for (i, s) in others.enumerated() {
            let r = await s.collect()
            XCTAssertEqual(r.text, reference[i])
        }
        // Idle again: no sequence running, cells of the cancelled one are a cached prefix at most.
        try await Task.sleep(nanoseconds: 100_000_000)
        let snap = engine.snapshot
        XCTAssertEqual(snap.running, 0)
        XCTAssertEqual(snap.waiting, 0)
        XCTAssertLessThan(snap.kvCellsUsed, 4 * 200, "the cancelled generation's 3000 tokens were never kept")
    }

    func testStopStringAcrossTokensIsNeverOvershot() async throws {
        let engine = try makeEngine(parallel: 2)
        defer { engine.shutdown() }
        let m = engine.model
        let p = prompt(m, "Tell me something")
        let full = await try engine.submit(greedy(p, max: 30)).collect().text
        // A stop string that spans a token boundary: the last 2 characters of
        // token k's text and the first 2 of token k+1's.
        let out = await try engine.submit(greedy(p, max: 30)).collect()
        XCTAssertEqual(out.text, full)
        var pieces: [String] = []
        for await e in try engine.submit(greedy(p, max: 30)) { if case .text(let t) = e { pieces.append(t) } }
        guard let k = pieces.indices.dropLast().first(where: { pieces[$0].count >= 2 && pieces[$0 + 1].count >= 2 }) else {
            return XCTFail("greedy output had no two adjacent multi-character pieces: \(pieces)")
        }
        let stop = String(pieces[k].suffix(2)) + String(pieces[k + 1].prefix(2))
        let before = String(full[..<full.range(of: stop)!.lowerBound])
        for streaming in [false, true] {
            var text = ""
            var result: GenerationResult?
            for await e in try engine.submit(greedy(p, max: 30, stop: [stop])) {
                switch e {
                case .text(let t): text += t
                case .finished(let r): result = r
                case .reasoning, .toolCall: XCTFail("no reasoning or tools were set up")
                }
            }
            XCTAssertEqual(text, before, "streaming=\(streaming)")
            XCTAssertEqual(result?.reason, .stopSequence(stop))
            XCTAssertFalse(text.contains(stop))
        }
    }

    func testMultibyteCharacterSplitAcrossTokensIsNeverBroken() throws {
        let m = try loadModel()
        // Byte-level BPE splits rare characters into byte tokens.
        let tokens = m.tokenize("𝄞𒀀", addSpecial: false, parseSpecial: false)
        var raw: [[UInt8]] = []
        for t in tokens { var b: [UInt8] = []; m.piece(t, into: &b); raw.append(b) }
        XCTAssertTrue(raw.contains { String(validating: $0, as: UTF8.self) == nil }, "expected a token holding part of a character: \(raw)")
        var acc = UTF8Accumulator()
        var emitted: [String] = []
        for b in raw { emitted.append(acc.append(b)) }
        XCTAssertEqual(emitted.joined(), "𝄞𒀀")
        XCTAssertFalse(emitted.joined().contains("\u{FFFD}"))
    }

    func testPromptLongerThanTheContextIsATypedError() throws {
        let engine = try makeEngine(parallel: 1, context: 256, batch: 256)
        defer { engine.shutdown() }
        let long = [Token](repeating: 9906, count: 400)
        XCTAssertThrowsError(try engine.submit(greedy(long))) { e in
            XCTAssertEqual(e as? EngineError, .promptTooLong(tokens: 400, limit: 255))
        }
    }

    func testQueueFullIsATypedOverloadError() async throws {
        let engine = try makeEngine(parallel: 1, maxWaiting: 2)
        defer { engine.shutdown() }
        let m = engine.model
        let p = prompt(m, "queue")
        // One runs (long), two wait; the next is refused.
        let running = try engine.submit(greedy(p, max: 2000))
        try await Task.sleep(nanoseconds: 100_000_000)
        let w1 = try engine.submit(greedy(p, max: 1))
        let w2 = try engine.submit(greedy(p, max: 1))
        XCTAssertThrowsError(try engine.submit(greedy(p, max: 1))) { e in
            XCTAssertEqual(e as? EngineError, .overloaded(limit: 2))
        }
        engine.cancel(running.id)
        _ = await running.collect()
        _ = await w1.collect()
        _ = await w2.collect()
        // Room again.
        _ = await try engine.submit(greedy(p, max: 1)).collect()
    }

    func testSeededSamplingIsReproducible() async throws {
        let engine = try makeEngine(parallel: 4)
        defer { engine.shutdown() }
        let p = prompt(engine.model, "Random")
        var s = SamplingParameters()
        s.temperature = 1.0
        s.seed = 1234
        let a = await try engine.submit(GenerationRequest(prompt: p, sampling: s, maxTokens: 16)).collect()
        let b = await try engine.submit(GenerationRequest(prompt: p, sampling: s, maxTokens: 16)).collect()
        XCTAssertEqual(a.text, b.text)
    }

    func testEndOfGenerationTokenEndsTheSequence() async throws {
        let engine = try makeEngine(parallel: 2)
        defer { engine.shutdown() }
        var s = SamplingParameters.greedy
        s.logitBias = [128009: 100]  // force <|eot_id|>
        let r = await try engine.submit(GenerationRequest(prompt: prompt(engine.model, "Hi"), sampling: s, maxTokens: 10)).collect()
        XCTAssertEqual(r.result.reason, .endOfGeneration)
        XCTAssertEqual(r.text, "")
        var ignore = GenerationRequest(prompt: prompt(engine.model, "Hi"), sampling: s, maxTokens: 5)
        ignore.ignoreEOS = true
        let r2 = await try engine.submit(ignore).collect()
        XCTAssertEqual(r2.result.reason, .length)
        XCTAssertEqual(r2.result.usage.completionTokens, 5)
    }
}
