import Foundation
import XCTest
@testable import PendraEngine

final class LoadDeadlineTests: XCTestCase {
    func testGoesOnUntilTheClockReachesTheDeadlineThenStaysExpired() {
        final class Clock: @unchecked Sendable { var now: UInt64 = 100 }
        let clock = Clock()
        let d = LoadDeadline(200, clock: { clock.now })
        XCTAssertTrue(d.check())
        clock.now = 199
        XCTAssertTrue(d.check())
        XCTAssertFalse(d.expired)
        clock.now = 200
        XCTAssertFalse(d.check())
        XCTAssertTrue(d.expired)
        clock.now = 150 // a clock that went back does not revive an abandoned load
        XCTAssertFalse(d.check())
    }

    /// A deadline already passed: llama.cpp stops at its first progress
    /// callback and the load throws `timedOut`, freeing what it had read.
    func testALoadPastItsDeadlineThrowsTimedOut() throws {
        let path = try TestModels.path("smollm2-135m-instruct.gguf")
        XCTAssertThrowsError(try LlamaModel(path: path, gpuLayers: 0, deadline: 0)) { error in
            guard case ModelLoadError.timedOut(let p) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(p, path)
        }
        // The same file loads with time to spare.
        let far = DispatchTime.now().uptimeNanoseconds + 600_000_000_000
        XCTAssertGreaterThan(try LlamaModel(path: path, gpuLayers: 0, deadline: far).vocabSize, 0)
    }
}
