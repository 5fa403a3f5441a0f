import XCTest
@testable import PendraEngine

final class EmbeddingEngineTests: XCTestCase {
    private func makeEngine() throws -> EmbeddingEngine {
        let model = try LlamaModel(path: try TestModels.path("tiny-bert-embed.gguf"), gpuLayers: 0)
        return try EmbeddingEngine(model: model, settings: ContextSettings(contextSize: 512, parallel: 16, batchSize: 2048, threads: 2))
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x * y); na += Double(x * x); nb += Double(y * y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    func testOneInputAloneEqualsTheSameInputInABatchOfSixteen() async throws {
        let e = try makeEngine()
        let target = e.tokenize("The embedding of this sentence must not depend on its neighbours.")
        let alone = try await e.embed([target])[0]
        var batch = (0..<15).map { e.tokenize("Neighbour sentence \($0) with some words in it \(String(repeating: "x", count: $0))") }
        batch.insert(target, at: 7)
        let together = try await e.embed(batch)
        XCTAssertEqual(together.count, 16)
        XCTAssertGreaterThan(cosine(alone, together[7]), 0.9999)
        XCTAssertEqual(alone.count, e.dimensions)
        let norm = alone.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
        XCTAssertEqual(norm, 1, accuracy: 1e-4)
    }

    func testInputLongerThanTheContextNamesItsIndex() async throws {
        let e = try makeEngine()
        let ok = e.tokenize("short")
        let long = [Token](repeating: ok[1], count: e.maxInputTokens + 5)
        do {
            _ = try await e.embed([ok, long])
            XCTFail("expected inputTooLong")
        } catch {
            XCTAssertEqual(error, .inputTooLong(index: 1, tokens: e.maxInputTokens + 5, limit: e.maxInputTokens))
        }
    }

    func testRealMiniLMScoresSimilarSentencesAsSimilar() async throws {
        let path = try TestModels.path("all-minilm-l6-v2.gguf")
        let model = try LlamaModel(path: path, gpuLayers: 0)
        let e = try EmbeddingEngine(model: model, settings: ContextSettings(contextSize: 512, parallel: 8, batchSize: 2048, threads: 2))
        let v = try await e.embed(["A man is eating food.", "A man is eating a piece of bread.", "A monkey is playing drums."].map(e.tokenize))
        XCTAssertEqual(e.dimensions, 384)
        XCTAssertGreaterThan(cosine(v[0], v[1]), 0.7)
        XCTAssertLessThan(cosine(v[0], v[2]), 0.3)
    }
}

/// Requests waiting together share decodes, and keep their own vectors.
final class EmbeddingSharingTests: XCTestCase {
    // The real all-MiniLM-L6-v2: each request's vector is a meaningful one.
    private func makeEngine(parallel: Int = 16) throws -> EmbeddingEngine {
        let model = try LlamaModel(path: try TestModels.path("all-minilm-l6-v2.gguf"), gpuLayers: 0)
        return try EmbeddingEngine(model: model, settings: ContextSettings(contextSize: 512, parallel: parallel, batchSize: 2048, threads: 2))
    }

    private func waitFor(_ n: Int, _ e: EmbeddingEngine) async throws {
        for _ in 0..<500 where e.waitingRequests < n { try await Task.sleep(nanoseconds: 2_000_000) }
        XCTAssertEqual(e.waitingRequests, n)
    }

    func testEightWaitingRequestsAreOneDecodeAndGetTheirOwnVectors() async throws {
        let e = try makeEngine()
        let texts = (0..<8).map { "Request number \($0) says something of its own, \(String(repeating: "y", count: $0))" }
        var alone: [[Float]] = []
        for t in texts { alone.append(try await e.embed([e.tokenize(t)])[0]) }
        let before = e.decodeCount
        XCTAssertEqual(before, 8)
        e.suspendWorker()
        let results = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (i, t) in texts.enumerated() {
                let tokens = e.tokenize(t)
                group.addTask { (i, try await e.embed([tokens])[0]) }
            }
            try await waitFor(8, e)
            e.resumeWorker()
            var out: [Int: [Float]] = [:]
            for try await (i, v) in group { out[i] = v }
            return out
        }
        XCTAssertEqual(e.decodeCount - before, 1, "eight waiting requests, one decode")
        for i in 0..<8 {
            let v = try XCTUnwrap(results[i])
            let cos = zip(v, alone[i]).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            XCTAssertGreaterThan(cos, 0.9999, "request \(i) got its own vector")
        }
    }

    func testASmallRequestRidesInABigOnesNextDecode() async throws {
        let e = try makeEngine(parallel: 4)
        let big = (0..<11).map { e.tokenize("Input \($0) of the big batch") }
        e.suspendWorker()
        async let bigResult = e.embed(big)
        try await waitFor(1, e)
        async let small = e.embed([e.tokenize("the small one")])
        try await waitFor(2, e)
        e.resumeWorker()
        let (b, s) = try await (bigResult, small)
        XCTAssertEqual(b.count, 11)
        XCTAssertEqual(s.count, 1)
        // 11 + 1 inputs, 4 per decode: 3 decodes, the small one in the first
        // (alone after the big one's 3 it would be a fourth).
        XCTAssertEqual(e.decodeCount, 3)
    }

    func testManyShortInputsSplitIntoDecodesOfTheTokenTarget() async throws {
        // 64 sequence ids, but 40 inputs of n tokens go in decodes of at most
        // 512 tokens, each input's vector the one it gets alone.
        let e = try makeEngine(parallel: 64)
        let inputs = (0..<40).map { e.tokenize("Sentence \($0 % 10) is about the weather today, the rain in the hills and the wind over the sea by the old harbour") }
        let n = inputs[0].count
        XCTAssertTrue(inputs.allSatisfy { $0.count == n })
        let lone = try await e.embed([inputs[7]])[0]
        let before = e.decodeCount
        let all = try await e.embed(inputs)
        let perDecode = 512 / n
        XCTAssertLessThan(perDecode, 40, "inputs this short would all fit one decode anyway")
        XCTAssertEqual(e.decodeCount - before, (40 + perDecode - 1) / perDecode)
        let cos = zip(all[7], lone).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        XCTAssertGreaterThan(cos, 0.9999)
    }

    func testACancelledRequestFailsAloneAndFreesItsShare() async throws {
        let e = try makeEngine()
        let flag = CancellationFlag()
        e.suspendWorker()
        async let cancelled = e.embed([e.tokenize("never embedded")], cancel: flag)
        try await waitFor(1, e)
        async let kept = e.embed([e.tokenize("embedded")])
        try await waitFor(2, e)
        flag.cancel()
        e.resumeWorker()
        let k = try await kept
        XCTAssertEqual(k.count, 1)
        do {
            _ = try await cancelled
            XCTFail("the cancelled request was embedded")
        } catch {
            XCTAssertEqual(error as? EngineError, .invalidRequest("embedding cancelled"))
        }
        XCTAssertEqual(e.decodeCount, 1)
    }
}
