import XCTest
@testable import PendraHTTP

final class RerankRouteTests: XCTestCase {
    func testRerankOrder() {
        XCTAssertEqual(RerankRoute.ranked([0.1, 0.9, 0.5, 0.9], topN: 10), [1, 3, 2, 0], "ties keep input order")
        XCTAssertEqual(RerankRoute.ranked([0.1, 0.9, 0.5], topN: 2), [1, 2])
        XCTAssertEqual(RerankRoute.ranked([0.3], topN: 0), [])
    }
}
