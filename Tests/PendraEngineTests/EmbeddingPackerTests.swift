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

    func testNothingWaiting() {
        XCTAssertEqual(EmbeddingPacker.takes([], sequences: 4, tokens: 100), [])
        XCTAssertEqual(EmbeddingPacker.takes([[]], sequences: 4, tokens: 100), [0])
    }
}
