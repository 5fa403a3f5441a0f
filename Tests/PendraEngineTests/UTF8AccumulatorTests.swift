import XCTest
@testable import PendraEngine

final class UTF8AccumulatorTests: XCTestCase {
    func testCharacterSplitAcrossTokensWaitsForItsLastByte() {
        var a = UTF8Accumulator()
        let euro = Array("€".utf8)  // E2 82 AC
        XCTAssertEqual(a.append([0x61] + euro[0..<1]), "a")
        XCTAssertEqual(a.append(Array(euro[1..<2])), "")
        XCTAssertEqual(a.append(Array(euro[2..<3]) + [0x62]), "€b")
        XCTAssertFalse(a.hasPending)
    }

    func testFourByteCharacter() {
        var a = UTF8Accumulator()
        let emoji = Array("😀".utf8)
        XCTAssertEqual(a.append(Array(emoji[0..<3])), "")
        XCTAssertEqual(a.append([emoji[3]]), "😀")
    }

    func testInvalidBytesBecomeReplacementCharacters() {
        var a = UTF8Accumulator()
        XCTAssertEqual(a.append([0xFF, 0x41]), "\u{FFFD}A")
        XCTAssertEqual(a.append([0xE2, 0x82]), "")
        XCTAssertEqual(a.flush(), "\u{FFFD}")
    }
}
