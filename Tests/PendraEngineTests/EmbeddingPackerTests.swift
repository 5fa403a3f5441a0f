import XCTest
@testable import PendraEngine

/// The packing of waiting requests' inputs into one decode.
final class EmbeddingPackerTests: XCTestCase {
    func testOneRequestFillsTheSequences() {
        XCTAssertEqual(EmbeddingPacker.takes([[10, 10, 10, 10, 10]], sequences: 4, tokens: 2048), [4])
    }

    func testRoundRobinGivesEveryRequestItsShare() {
        XCTAssertEqual(EmbeddingPacker.takes([[5, 5, 5, 5, 5, 5], [5], [5, 5]], sequences: 6, tokens: 2048), [3, 1, 2])
    }

    func testTheTokenBudgetStopsAtAnInputThatDoesNotFit() {
        // 300 + 300 + 300 fit in 1,000; request 0's second input (500) does not, request 1's second does.
        XCTAssertEqual(EmbeddingPacker.takes([[300, 500], [300, 300, 300]], sequences: 16, tokens: 1000), [1, 2])
    }

    func testTheFirstInputIsTakenEvenOverTheTarget() {
        // A 700-token input over a 512-token target decodes alone; the next decode packs.
        XCTAssertEqual(EmbeddingPacker.takes([[700, 100], [100]], sequences: 16, tokens: 512), [1, 0])
        XCTAssertEqual(EmbeddingPacker.takes([[100], [100, 100]], sequences: 16, tokens: 512), [1, 2])
    }

    func testTheTargetLimitsHowManyShortInputsShareADecode() {
        // 32 inputs of 28 tokens: 18 fit under 512 tokens, not all 32 sequences.
        XCTAssertEqual(EmbeddingPacker.takes([Array(repeating: 28, count: 32)], sequences: 32, tokens: 512), [18])
    }

    func testTheDecodeTargetFollowsTheModelWidthWithinTheBatch() {
        XCTAssertEqual(EmbeddingEngine.decodeTokenTarget(embeddingLength: 384, batchSize: 2048), 512)
        XCTAssertEqual(EmbeddingEngine.decodeTokenTarget(embeddingLength: 1024, batchSize: 2048), 1024)
        XCTAssertEqual(EmbeddingEngine.decodeTokenTarget(embeddingLength: 384, batchSize: 256), 256)
    }

    func testNothingWaiting() {
        XCTAssertEqual(EmbeddingPacker.takes([], sequences: 4, tokens: 100), [])
        XCTAssertEqual(EmbeddingPacker.takes([[]], sequences: 4, tokens: 100), [0])
    }
}
