import Foundation
import XCTest
@testable import PendraEngine

/// The UTF-8 mask for grammar sampling: which token bytes keep the output well formed.
final class UTF8TokenTableTests: XCTestCase {
    private let complete = UTF8TokenTable.complete
    private let invalid = UTF8TokenTable.invalid

    private func run(_ chunks: [[UInt8]]) -> UInt8 {
        var s = complete
        for c in chunks {
            s = UTF8TokenTable.advance(s, c)
            if s == invalid { return s }
        }
        return s
    }

    func testCharactersWholeAndSplitAcrossTokens() {
        XCTAssertEqual(run([Array("plain ascii".utf8)]), complete)
        XCTAssertEqual(run([[0xC3, 0xA9]]), complete)                      // é
        XCTAssertNotEqual(run([[0xC3]]), complete)                         // waits for one more byte
        XCTAssertEqual(run([[0xC3], [0xA9, 0x41]]), complete)
        XCTAssertEqual(run([[0xF0, 0x9F], [0x98], [0x80]]), complete)      // 😀 in three tokens
        XCTAssertEqual(run([[]]), complete)                                 // control tokens: no bytes
        XCTAssertEqual(run([[0xE6], []]), UTF8TokenTable.advance(complete, [0xE6]))
    }

    func testIllFormedBytesAreRefused() {
        XCTAssertEqual(run([[0xA9]]), invalid)                    // stray continuation
        XCTAssertEqual(run([[0xC3], [0x41]]), invalid)             // lead then ASCII
        XCTAssertEqual(run([[0xE6, 0x95], [0x22]]), invalid)       // a quote inside a character
        XCTAssertEqual(run([[0xC0, 0x80]]), invalid)               // overlong
        XCTAssertEqual(run([[0xE0], [0x80]]), invalid)             // overlong, split
        XCTAssertEqual(run([[0xE0, 0xA0, 0x80]]), complete)
        XCTAssertEqual(run([[0xED, 0xA0, 0x80]]), invalid)         // surrogate
        XCTAssertEqual(run([[0xED, 0x9F, 0xBF]]), complete)
        XCTAssertEqual(run([[0xF4], [0x90]]), invalid)             // past U+10FFFF
        XCTAssertEqual(run([[0xF4, 0x8F, 0xBF, 0xBF]]), complete)
        XCTAssertEqual(run([[0xF5]]), invalid)
        XCTAssertEqual(run([[0xC3, 0xA9, 0xA9]]), invalid)         // one continuation too many
    }

    /// Complete exactly when Foundation accepts the bytes as UTF-8, over many
    /// random byte strings cut into random tokens.
    func testAgreesWithFoundationOnRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x00, 0x22, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF,
                                    0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let n = Int.random(in: 1...7, using: &rng)
            let bytes = (0..<n).map { _ in Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng) }
            var chunks: [[UInt8]] = []
            var i = 0
            while i < n {
                let len = Int.random(in: 1...(n - i), using: &rng)
                chunks.append(Array(bytes[i..<(i + len)]))
                i += len
            }
            let valid = String(bytes: bytes, encoding: .utf8) != nil
            XCTAssertEqual(run(chunks) == complete, valid, "\(bytes.map { String($0, radix: 16) }) in \(chunks.count) tokens")
        }
    }

    func testTableLooksUpPerTokenAndState() {
        let table = UTF8TokenTable(pieces: [Array("a".utf8), [0xC3], [0xA9], [], [0x80, 0x80]])
        XCTAssertEqual(table.after(0, from: complete), complete)
        let mid = table.after(1, from: complete)
        XCTAssertNotEqual(mid, invalid)
        XCTAssertEqual(table.after(0, from: mid), invalid)
        XCTAssertEqual(table.after(2, from: mid), complete)
        XCTAssertEqual(table.after(3, from: mid), mid)
        XCTAssertEqual(table.after(4, from: complete), invalid)
        XCTAssertEqual(table.after(2, from: complete), invalid)
    }
}
