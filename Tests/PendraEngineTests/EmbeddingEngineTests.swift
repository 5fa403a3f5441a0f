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
