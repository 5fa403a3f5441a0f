import XCTest
@testable import PendraJSON

/// The parser against RFC 8259: a corpus of valid and invalid texts (after
/// the y_ / n_ cases of JSONTestSuite), numbers, escapes, UTF-8, depth, order.
final class JSONParserTests: XCTestCase {
    func parse(_ text: String) throws -> JSON { try JSON.parse(text) }

    func parseError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> JSON.ParseError? {
        do {
            let v = try JSON.parse(bytes)
            XCTFail("parsed \(String(decoding: bytes, as: UTF8.self).debugDescription) as \(v)", file: file, line: line)
            return nil
        } catch { return error }
    }

    func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSON.ParseError? {
        parseError(Array(text.utf8), file: file, line: line)
    }

    func testValidCorpus() throws {
        let valid: [(String, JSON)] = [
            ("null", .null), ("true", true), ("false", false), ("0", 0), ("-0", 0), ("\"\"", ""),
            (" [ ] ", []), ("{}", [:]), ("[[]]", [[]]), ("\t\r\n 1 \n", 1),
            (#"{"a":[1,{"b":null}],"c":"d"}"#, ["a": [1, ["b": .null]], "c": "d"]),
            ("[1,-1,0.5,-0.5,1e2,1E-2,1.5e+3,-0e0]", [1, -1, 0.5, -0.5, 100.0, 0.01, 1500.0, .double(-0.0)]),
            (#"["\"\\\/\b\f\n\r\t"]"#, ["\"\\/\u{08}\u{0C}\n\r\t"]),
            (#""\u0041\u00e9\u20AC\ud83d\ude00""#, "Aé€😀"),
            ("\"é日本😀\"", "é日本😀"),
            (#""\u0000""#, "\u{0}"),
            ("\u{FEFF}[1]", [1]),  // a byte order mark is skipped
            ("[\"\u{7F}\"]", ["\u{7F}"]),
        ]
        for (text, want) in valid {
            XCTAssertEqual(try parse(text), want, text.debugDescription)
        }
    }

    func testInvalidCorpusNamesTheOffset() {
        let invalid: [(String, String, Int)] = [
            ("", "empty text", 0),
            ("   ", "empty text", 3),
            ("[1,]", "trailing comma before ']'", 3),
            (#"{"a":1,}"#, "trailing comma before '}'", 7),
            ("[1 2]", "expected ',' or ']'", 3),
            (#"{"a" 1}"#, "expected ':'", 5),
            ("{a:1}", "expected a string key", 1),
            ("{'a':1}", "expected a string key", 1),
            ("[01]", "must not start with 0", 2),
            ("[-]", "expected a digit after '-'", 2),
            ("[1.]", "after the decimal point", 3),
            ("[.5]", "expected a value", 1),
            ("[1e]", "in the exponent", 3),
            ("[+1]", "expected a value", 1),
            ("[NaN]", "expected a value", 1),
            ("[Infinity]", "expected a value", 1),
            ("[1e400]", "too large", 1),
            ("[tru]", "did you mean true", 1),
            ("nul", "did you mean null", 0),
            (#""abc"#, "unterminated string (opened at byte 0)", 4),
            ("[\"a\tb\"]", "control character 0x9", 3),
            (#"["\x"]"#, "invalid escape", 3),
            (#"["\u12"]"#, "four hex digits", 6),
            (#"["\u00G0"]"#, "four hex digits", 6),
            ("[1] x", "after the JSON value", 4),
            ("[1]]", "after the JSON value", 3),
            ("{\"a\":1", "unterminated object (opened at byte 0)", 6),
            ("[1,", "unterminated array (opened at byte 0)", 3),
            ("/* c */ 1", "expected a value", 0),
        ]
        for (text, reason, offset) in invalid {
            guard let e = parseError(text) else { continue }
            XCTAssertTrue(e.reason.contains(reason), "\(text.debugDescription): \(e.message)")
            XCTAssertEqual(e.offset, offset, "\(text.debugDescription): \(e.message)")
            XCTAssertTrue(e.message.contains("at byte \(offset)"), e.message)
        }
    }

    func testMessagesGiveLineAndColumnOnMultiLineText() throws {
        let e = try XCTUnwrap(parseError("{\n  \"a\": 1,\n  \"b\": ?\n}"))
        XCTAssertEqual(e.message, "unexpected character '?': expected a value at byte 19 (line 3, column 8)")
    }

    func testIntegersStayExact() throws {
        XCTAssertEqual(try parse("9007199254740993"), .int(9_007_199_254_740_993))  // 2^53 + 1: a Double would round it
        XCTAssertEqual(try parse("9223372036854775807"), .int(Int.max))
        XCTAssertEqual(try parse("-9223372036854775808"), .int(Int.min))
        XCTAssertEqual(try parse("9223372036854775808"), .double(9.223372036854775808e18))
        XCTAssertEqual(try parse("-9223372036854775809"), .double(-9.223372036854775809e18))
        XCTAssertEqual(try parse("1.0"), .double(1))
        XCTAssertEqual(try parse("1e2"), .double(100))
        XCTAssertEqual(try parse("0.1"), .double(0.1))
        XCTAssertEqual(try parse("2.2250738585072014e-308"), .double(2.2250738585072014e-308))
        XCTAssertEqual(try parse("1e-400"), .double(0))  // underflow rounds to zero, as in Python
    }

    func testSurrogates() throws {
        XCTAssertEqual(try parse(#""\uD834\uDD1E""#), "𝄞")
        // A lone half (a client cut a UTF-16 string) becomes U+FFFD, not a 400.
        XCTAssertEqual(try parse(#""a\ud83d""#), "a\u{FFFD}")
        XCTAssertEqual(try parse(#""\ude00b""#), "\u{FFFD}b")
        XCTAssertEqual(try parse(#""\ud83d\u0041""#), "\u{FFFD}A")
        XCTAssertEqual(try parse(#""\ud83d\ud83d\ude00""#), "\u{FFFD}😀")
    }

    func testInvalidUTF8IsAnError() {
        let cases: [([UInt8], Int)] = [
            ([0x22, 0xFF, 0x22], 1),              // never valid
            ([0x22, 0xC0, 0xAF, 0x22], 1),        // overlong '/'
            ([0x22, 0xE0, 0x80, 0xAF, 0x22], 2),  // overlong, three bytes
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 2),  // an encoded surrogate
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 2),  // above U+10FFFF
            ([0x22, 0xC3, 0x22], 2),              // cut short by the quote
            ([0x22, 0x61, 0xE2, 0x82], 2),        // cut short by the end
            ([0x22, 0x5C, 0x6E, 0x80, 0x22], 3),  // after an escape, on the slow path
        ]
        for (bytes, offset) in cases {
            guard let e = parseError(bytes) else { continue }
            XCTAssertTrue(e.reason.contains("invalid UTF-8"), e.message)
            XCTAssertEqual(e.offset, offset, "\(bytes): \(e.message)")
        }
    }

    func testDepthLimitIsAnErrorNotACrash() throws {
        let ok = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        XCTAssertNoThrow(try parse(ok))
        let deep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        XCTAssertEqual(parseError(deep)?.reason, "nesting deeper than 512 levels")
        XCTAssertEqual(parseError(deep)?.offset, JSON.maxDepth)
        let objects = String(repeating: #"{"a":"#, count: 100_000)
        XCTAssertEqual(parseError(objects)?.reason, "nesting deeper than 512 levels")
    }

    func testObjectKeyOrderIsKept() throws {
        let v = try parse(#"{"zeta":1,"alpha":2,"mid":{"b":1,"a":2},"10":3,"9":4}"#)
        XCTAssertEqual(v.object?.keys, ["zeta", "alpha", "mid", "10", "9"])
        XCTAssertEqual(v["mid"]?.object?.keys, ["b", "a"])
        XCTAssertEqual(v.serialized, #"{"zeta":1,"alpha":2,"mid":{"b":1,"a":2},"10":3,"9":4}"#)
    }

    /// Python's json.loads: the first position, the last value.
    func testDuplicateKeysLastValueWins() throws {
        let v = try parse(#"{"a":1,"b":2,"a":3}"#)
        XCTAssertEqual(v.object?.keys, ["a", "b"])
        XCTAssertEqual(v["a"], 3)
        let many = "{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k3\":\"again\"}"
        let w = try parse(many)
        XCTAssertEqual(w.object?.count, 20)
        XCTAssertEqual(w["k3"], "again")
        XCTAssertEqual(w.object?.keys.last, "k19")
    }

    func testRoundTripThroughTheWriter() throws {
        let text = #"{"s":"q\"\\\n\t\u0001é😀\u2028","n":[0,-5,1.5,1e-07,12345678901234567],"o":{"x":null,"y":[true,false]}}"#
        let v = try parse(text)
        XCTAssertEqual(try parse(v.serialized), v)
        XCTAssertEqual(v["s"], "q\"\\\n\t\u{1}é😀\u{2028}")
        XCTAssertEqual(v["n"]?.array?[4], .int(12_345_678_901_234_567))
    }

    func testStringAndBytesEntryPointsAgree() throws {
        let text = #"{"k":["é",1,2.5]}"#
        XCTAssertEqual(try JSON.parse(text), try JSON.parse(Array(text.utf8)))
        XCTAssertEqual(try JSON.parse(Substring(text).description), try JSON.parse(text))
    }
}
