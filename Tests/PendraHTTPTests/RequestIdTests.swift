import XCTest
@testable import PendraHTTP

final class RequestIdTests: XCTestCase {
    func testGeneratedIdsHaveThePrefixAnd24LowercaseHexDigits() {
        for _ in 0..<100 {
            let id = RequestID.generate()
            XCTAssertTrue(id.hasPrefix("req_"), id)
            let hex = id.dropFirst(4)
            XCTAssertEqual(hex.count, 24, id)
            XCTAssertTrue(hex.allSatisfy { "0123456789abcdef".contains($0) }, id)
            XCTAssertTrue(RequestID.isWellFormed(id))
        }
    }

    func testGeneratedIdsDiffer() {
        let ids = Set((0..<1000).map { _ in RequestID.generate() })
        XCTAssertEqual(ids.count, 1000)
    }

    func testGenerationUsesAllTheGeneratorsBits() {
        struct Fixed: RandomNumberGenerator {
            var values: [UInt64]
            mutating func next() -> UInt64 { values.removeFirst() }
        }
        var rng = Fixed(values: [0x0123_4567_89AB_CDEF, 0xFFFF_FFFF_FFFF_FFFF])
        // Nibbles low to high: 12 of the first word, 12 of the second.
        XCTAssertEqual(RequestID.generate(using: &rng), "req_fedcba987654ffffffffffff")
    }

    func testAcceptsWellFormedIncomingIds() {
        for id in ["abc", "gw-1.2:3_x", String(repeating: "a", count: 128), "A0"] {
            XCTAssertEqual(RequestID.accepting(incoming: id), id)
        }
    }

    func testReplacesMissingOrMalformedIds() {
        let bad: [String?] = [nil, "", String(repeating: "a", count: 129), "has space", "new\nline",
                              "semi;colon", "quote\"", "é", "a/b"]
        for id in bad {
            let accepted = RequestID.accepting(incoming: id)
            XCTAssertNotEqual(accepted, id)
            XCTAssertTrue(accepted.hasPrefix("req_"))
            XCTAssertEqual(accepted.count, 28)
        }
    }
}
