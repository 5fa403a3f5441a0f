import XCTest
@testable import PendraHTTP

/// Runs the parser over `text` (fed in pieces of `split` bytes) and collects what it yields.
struct ParseOutcome {
    var requests: [HTTPRequest] = []
    var continues = 0
    var error: HTTPParseError?
}

func parseAll(_ bytes: [UInt8], limits: HTTPParser.Limits = .init(), split: Int = .max) -> ParseOutcome {
    var parser = HTTPParser(limits: limits)
    var outcome = ParseOutcome()
    var offset = 0
    repeat {
        let end = min(bytes.count, offset + max(1, split == .max ? bytes.count : split))
        parser.append(bytes[offset..<end])
        offset = end
        do {
            while let event = try parser.next() {
                switch event {
                case .continueExpected: outcome.continues += 1
                case .request(let r): outcome.requests.append(r)
                case .head: break  // only with reportsHeads, which this parser lacks
                }
            }
        } catch {
            outcome.error = error
            return outcome
        }
    } while offset < bytes.count
    return outcome
}

func parseAll(_ text: String, limits: HTTPParser.Limits = .init(), split: Int = .max) -> ParseOutcome {
    parseAll(Array(text.utf8), limits: limits, split: split)
}

final class HTTPParserTests: XCTestCase {
    func testSimpleGetWithQuery() throws {
        let out = parseAll("GET /v1/models?type=chat&q=a%20b+c&type=x HTTP/1.1\r\nHost: x\r\nAccept:  */*  \r\n\r\n")
        XCTAssertNil(out.error)
        let r = try XCTUnwrap(out.requests.first)
        XCTAssertEqual(r.method, "GET")
        XCTAssertEqual(r.target, "/v1/models?type=chat&q=a%20b+c&type=x")
        XCTAssertEqual(r.path, "/v1/models")
        XCTAssertEqual(r.query, ["type": "chat", "q": "a b c"])
        XCTAssertEqual(r.headers["accept"], "*/*")
        XCTAssertEqual(r.version, "HTTP/1.1")
        XCTAssertTrue(r.body.isEmpty)
    }

    func testEveryByteSplitGivesSameResult() {
        let text = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        let out = parseAll(text, split: 1)
        XCTAssertNil(out.error)
        XCTAssertEqual(out.requests.map { String(decoding: $0.body, as: UTF8.self) }, ["hello"])
    }

    func testBareLFAndLeadingEmptyLinesAccepted() {
        let out = parseAll("\r\n\nGET / HTTP/1.0\nX-A: 1\n\n")
        XCTAssertNil(out.error)
        XCTAssertEqual(out.requests.first?.headers["X-A"], "1")
        XCTAssertEqual(out.requests.first?.version, "HTTP/1.0")
    }

    func testRequestLineErrors() {
        let cases: [(String, Int)] = [
            ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
            ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505),
            ("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET relative HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /\u{7F} HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),  // no Host
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            XCTAssertEqual(parseAll(text).error?.status, status, text.debugDescription)
        }
    }

    func testAsteriskAndAbsoluteForms() {
        XCTAssertEqual(parseAll("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").requests.first?.path, "*")
        let r = parseAll("GET http://example.com:8080/v1/x?a=1 HTTP/1.1\r\nHost: x\r\n\r\n").requests.first
        XCTAssertEqual(r?.path, "/v1/x")
        XCTAssertEqual(r?.query["a"], "1")
    }

    func testHeaderFieldErrors() {
        let cases: [(String, Int)] = [
            ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),          // whitespace before colon
            ("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400),  // obs-fold
            ("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),  // bare CR
            ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            XCTAssertEqual(parseAll(text).error?.status, status, text.debugDescription)
        }
    }

    func testLimits() {
        let limits = HTTPParser.Limits(maxHeaderBytes: 1024, maxBodyBytes: 100, maxRequestLineBytes: 256)
        let longTarget = "GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: x\r\n\r\n"
        XCTAssertEqual(parseAll(longTarget, limits: limits).error, .uriTooLong)
        // Also detected before the line ends.
        XCTAssertEqual(parseAll("GET /" + String(repeating: "a", count: 300), limits: limits).error, .uriTooLong)
        let bigHeader = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 2000) + "\r\n\r\n"
        XCTAssertEqual(parseAll(bigHeader, limits: limits).error, .headerFieldsTooLarge)
        XCTAssertEqual(parseAll(String(bigHeader.prefix(1500)), limits: limits, split: 7).error, .headerFieldsTooLarge)
        let bigBody = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"
        XCTAssertEqual(parseAll(bigBody, limits: limits).error, .contentTooLarge)
        XCTAssertEqual(parseAll(bigBody, limits: limits).error?.status, 413)
        let exact = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + String(repeating: "z", count: 100)
        XCTAssertEqual(parseAll(exact, limits: limits).requests.first?.body.count, 100)
    }

    func testErrorIsSticky() {
        var parser = HTTPParser()
        parser.append(Array("BAD\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next())
        parser.append(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next())
        XCTAssertTrue(parser.isFailed)
    }
}
