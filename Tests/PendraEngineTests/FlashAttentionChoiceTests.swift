import XCTest
@testable import PendraEngine

final class FlashAttentionChoiceTests: XCTestCase {
    func testOffForOneSequenceOnTheCPU() {
        XCTAssertEqual(FlashAttentionChoice.resolve(configured: nil, parallel: 1, onCPU: true, cacheTypeV: .f16), false)
    }

    /// Other sequences' cells are masked, and only the fused kernel skips them.
    func testLlamaCppDecidesForManySequencesOrAGPU() {
        XCTAssertNil(FlashAttentionChoice.resolve(configured: nil, parallel: 2, onCPU: true, cacheTypeV: .f16))
        XCTAssertNil(FlashAttentionChoice.resolve(configured: nil, parallel: 1, onCPU: false, cacheTypeV: .f16))
    }

    func testAQuantizedVCacheKeepsItOn() {
        XCTAssertNil(FlashAttentionChoice.resolve(configured: nil, parallel: 1, onCPU: true, cacheTypeV: .q8_0))
    }

    func testTheConfigWins() {
        XCTAssertEqual(FlashAttentionChoice.resolve(configured: true, parallel: 1, onCPU: true, cacheTypeV: .f16), true)
        XCTAssertEqual(FlashAttentionChoice.resolve(configured: false, parallel: 64, onCPU: false, cacheTypeV: .f16), false)
    }
}
