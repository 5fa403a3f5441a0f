import XCTest
@testable import PendraJSON

/// The compact writer, byte for byte.
final class JSONEncodingTests: XCTestCase {
    func testScalarsAndContainers() {
        XCTAssertEqual(JSON.null.serialized, "null")
        XCTAssertEqual(JSON.array([true, false, 0, -7, .int(Int.min), .int(Int.max)]).serialized,
                       "[true,false,0,-7,-9223372036854775808,9223372036854775807]")
        XCTAssertEqual(JSON.array([1.0, 0.5, -2.25, 1e20, 1e-7, .double(.nan)]).serialized, "[1.0,0.5,-2.25,1e+20,1e-07,null]")
        XCTAssertEqual(JSON.object(["b": [], "a": [:], "c": ["x": nil]]).serialized, #"{"b":[],"a":{},"c":{"x":null}}"#)
    }

    func testStringEscapes() {
        XCTAssertEqual(JSON.quoted("plain é 😀"), "\"plain é 😀\"")
        XCTAssertEqual(JSON.quoted("q\"b\\n\n r\r t\t \u{08}\u{0C}"), #""q\"b\\n\n r\r t\t \b\f""#)
        XCTAssertEqual(JSON.quoted("\u{0}\u{1F}\u{7F}"), #""\u0000\u001f\u007f""#)
        XCTAssertEqual(JSON.quoted("a\u{2028}b\u{2029}c\u{2027}"), "\"a\\u2028b\\u2029c\u{2027}\"")
        var out = "x="
        JSON.writeString("y\n", to: &out)
        XCTAssertEqual(out, #"x="y\n""#)
    }
}
