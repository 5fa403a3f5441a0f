import XCTest
@testable import PendraHTTP

final class HTTPParserBodyTests: XCTestCase {
    func testContentLengthRules() {
        XCTAssertEqual(parseAll("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc").requests.count, 1)
        XCTAssertEqual(parseAll("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc").requests.count, 1)
        let cases: [(String, Int)] = [
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: frobnicate\r\n\r\n", 501),
        ]
        for (text, status) in cases {
            XCTAssertEqual(parseAll(text).error?.status, status, text.debugDescription)
        }
    }

    func testChunkedBodyWithExtensionsAndTrailers() {
        let text = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "5;name=val\r\nhello\r\n1 ; x\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
        for split in [1, 3, 1000] {
            let out = parseAll(text, split: split)
            XCTAssertNil(out.error)
            XCTAssertEqual(out.requests.first.map { String(decoding: $0.body, as: UTF8.self) }, "hello 0123456789")
        }
    }

    func testChunkedErrors() {
        let head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        let limits = HTTPParser.Limits(maxHeaderBytes: 512, maxBodyBytes: 64, maxRequestLineBytes: 256)
        let cases: [(String, Int)] = [
            ("zz\r\n", 400),                                     // bad hex
            ("\r\n", 400),                                       // empty size
            ("5 x\r\nhello\r\n0\r\n\r\n", 400),                  // junk after size
            ("5\r\nhelloXX0\r\n\r\n", 400),                      // missing CRLF after data
            ("FFFFFFFFFFFFFFFFFFFFFFFF\r\n", 413),               // overflow
            ("41\r\n", 413),                                     // 65 > 64
            ("20\r\n" + String(repeating: "a", count: 32) + "\r\n21\r\n", 413),  // de-chunked total 65
            ("0\r\nX: " + String(repeating: "t", count: 600) + "\r\n\r\n", 431),  // trailers too big
            (String(repeating: "0", count: 5000), 400),          // endless size line
        ]
        for (body, status) in cases {
            XCTAssertEqual(parseAll(head + body, limits: limits).error?.status, status, body.prefix(40).debugDescription)
        }
        let exact = head + "20\r\n" + String(repeating: "a", count: 32) + "\r\n20\r\n" + String(repeating: "b", count: 32) + "\r\n0\r\n\r\n"
        XCTAssertEqual(parseAll(exact, limits: limits).requests.first?.body.count, 64)
    }

    func testPipelinedRequestsStayBuffered() {
        let text = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
            + "POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
            + "GET /4 HTTP/1.1\r\nHost: x\r\n\r\n"
        var parser = HTTPParser()
        parser.append(Array(text.utf8))
        var paths: [String] = []
        // One event per call: bytes after each request wait until asked for.
        while case .request(let r)? = try? parser.next() {
            paths.append(r.path)
            if paths.count == 1 { XCTAssertGreaterThan(parser.bufferedByteCount, 0) }
        }
        XCTAssertEqual(paths, ["/1", "/2", "/3", "/4"])
        XCTAssertEqual(parser.bufferedByteCount, 0)
        XCTAssertFalse(parser.isMidRequest)
        XCTAssertEqual(parseAll(text, split: 5).requests.map(\.path), ["/1", "/2", "/3", "/4"])
    }

    func testExpectContinue() {
        let head = "POST /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
        var parser = HTTPParser()
        parser.append(Array(head.utf8))
        guard case .continueExpected? = try? parser.next() else { return XCTFail("expected 100-continue event") }
        XCTAssertNil(try parser.next())
        parser.append(Array("data".utf8))
        guard case .request(let r)? = try? parser.next() else { return XCTFail("expected request") }
        XCTAssertEqual(r.body, Array("data".utf8))
        // Body already sent along: no 100 needed. HTTP/1.0 and empty bodies: never.
        XCTAssertEqual(parseAll(head + "data").continues, 0)
        XCTAssertEqual(parseAll("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", split: 1).continues, 0)
        XCTAssertEqual(parseAll("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n").continues, 0)
        let chunked = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n"
        let out = parseAll(chunked + "1\r\na\r\n0\r\n\r\n", split: chunked.utf8.count)
        XCTAssertEqual(out.continues, 1)
        XCTAssertEqual(out.requests.count, 1)
    }
}
