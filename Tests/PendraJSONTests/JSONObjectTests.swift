import XCTest
@testable import PendraJSON

/// The ordered object on both sides of its index threshold: order, replace
/// in place, removal, equality.
final class JSONObjectTests: XCTestCase {
    func testOrderReplaceAndRemoveAcrossTheIndexThreshold() {
        for size in [3, 8, 9, 40] {
            var o = JSONObject()
            for i in (0..<size).reversed() { o["k\(i)"] = .int(i) }
            XCTAssertEqual(o.keys, (0..<size).reversed().map { "k\($0)" }, "size \(size)")
            o["k0"] = "replaced"
            XCTAssertEqual(o.keys.last, "k0", "replacing keeps the position")
            XCTAssertEqual(o["k0"], "replaced")
            o["k1"] = nil
            XCTAssertNil(o["k1"])
            XCTAssertEqual(o.count, size - 1)
            XCTAssertEqual(o.keys, (0..<size).reversed().filter { $0 != 1 }.map { "k\($0)" })
            for i in (0..<size) where i != 1 { XCTAssertEqual(o["k\(i)"], i == 0 ? "replaced" : .int(i), "size \(size)") }
            o["new"] = true
            XCTAssertEqual(o.keys.last, "new")
            XCTAssertEqual(o["new"], true)
            o["absent"] = nil
            XCTAssertEqual(o.count, size)
        }
    }

    func testIterationAndEquality() {
        let a: JSONObject = ["b": 1, "a": 2]
        XCTAssertEqual(a.map(\.key), ["b", "a"])
        XCTAssertEqual(a.map(\.value), [1, 2])
        XCTAssertEqual(a, JSONObject(["b": 1, "a": 2]))
        XCTAssertNotEqual(a, JSONObject(["a": 2, "b": 1]), "order is part of an object's identity here")
        XCTAssertTrue(JSONObject().isEmpty)
    }
}
