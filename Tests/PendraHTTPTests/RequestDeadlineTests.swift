import Foundation
import XCTest
@testable import PendraHTTP
import PendraEngine

final class RequestDeadlineTests: XCTestCase {
    /// Work still running at the deadline: the caller gets the timeout at
    /// once, and the work sees its flag set and stops at its next check.
    func testWorkPastTheDeadlineIsAnsweredAtOnceAndCancelled() async throws {
        let deadline = RequestDeadline(seconds: 0.2, error: .timeout("too slow"))
        let stopped = expectation(description: "work saw its cancellation")
        let start = Date()
        do {
            _ = try await deadline.work { cancel throws(APIError) -> Int in
                for _ in 0..<1000 {
                    if cancel.isCancelled { stopped.fulfill(); throw .timeout() }
                    Thread.sleep(forTimeInterval: 0.01)
                }
                return 1
            }
            XCTFail("no timeout")
        } catch let e as APIError {
            XCTAssertEqual(e.status, 504)
            XCTAssertEqual(e.message, "too slow")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, "answered at the deadline, not when the work ended")
        await fulfillment(of: [stopped], timeout: 5)
    }

    func testTimeExcludedDoesNotCount() async throws {
        var deadline = RequestDeadline(seconds: 0.3, error: .timeout())
        try await deadline.excluding { try await Task.sleep(nanoseconds: 400_000_000) }
        XCTAssertGreaterThan(deadline.remaining, 0.2)
        let v = try await deadline.work { _ throws(APIError) in 7 }
        XCTAssertEqual(v, 7)
    }

    /// The embedding routes' 504 says the configured time as it was set.
    func testEmbeddingDeadlineMessageKeepsFractions() {
        XCTAssertEqual(RequestDeadline.embedding(seconds: 0.3, advice: "send smaller batches").error.message,
                       "Embedding request took longer than 0.3 s; send smaller batches")
        let rerank = RequestDeadline.embedding(seconds: 30, advice: "send fewer documents", what: "Rerank").error
        XCTAssertEqual(rerank.status, 504)
        XCTAssertEqual(rerank.message, "Rerank request took longer than 30 s; send fewer documents")
    }
}
