import XCTest
@testable import PendraHTTP

/// Seeded random mutations of valid requests, fed in random splits: the
/// parser must never crash, must answer with a 4xx/5xx when it rejects, and
/// must reach the same result however the bytes are split.
final class FuzzParserTests: XCTestCase {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let corpus: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /v1/models?type=chat&x=%41%zz HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
        "HEAD /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http://h:1/p?q=1 HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"model\":\"m\",\"stream\":true}",
        "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
        "PUT /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
        "PUT /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nokGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\ny",
        "GET /lf HTTP/1.1\nHost: a\nX-A: 1\n\n",
        "\r\nGET /after-crlf HTTP/1.1\r\nHost: a\r\n\r\n",
        "DELETE /v1/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer abc\r\nX-Many: a, b, c\r\n\r\n",
        "POST /m HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n12345",
        "GET /big HTTP/1.1\r\nHost: a\r\nX-Pad: " + String(repeating: "p", count: 600) + "\r\n\r\n",
    ]

    static let limits = HTTPParser.Limits(maxHeaderBytes: 1024, maxBodyBytes: 64, maxRequestLineBytes: 256)

    func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let interesting: [UInt8] = Array("\r\n :;,0aF\t\0\u{7F}-".utf8) + [0x80, 0xFF]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { bytes = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes.insert(interesting.randomElement(using: &rng)!, at: i)
            case 2: bytes.remove(at: i)
            case 3: bytes = Array(bytes[0..<i])
            case 4:
                let j = Int.random(in: i...min(bytes.count, i + 40), using: &rng)
                bytes.insert(contentsOf: bytes[i..<j], at: j)
            default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            }
        }
        return bytes
    }

    private func summary(_ o: ParseOutcome) -> String {
        o.requests.map { "\($0.method) \($0.target) \($0.body.count)" }.joined(separator: "|") + " err=\(o.error?.status ?? 0)"
    }

    func testMutatedRequestsNeverCrashAndAlwaysResolve() {
        var rng = SplitMix64(state: 0x5EED_1234)
        let corpus = Self.corpus.map { Array($0.utf8) }
        var accepted = 0, rejected = 0
        for iteration in 0..<25_000 {
            let base = corpus[iteration % corpus.count]
            let input = iteration % 10 == 0 ? base : mutate(base, &rng)
            let whole = parseAll(input, limits: Self.limits)
            let split = parseAll(input, limits: Self.limits, split: Int.random(in: 1...17, using: &rng))
            if let error = whole.error {
                XCTAssertTrue((400..<600).contains(error.status), "status \(error.status)")
                rejected += 1
            } else {
                accepted += 1
            }
            for request in whole.requests {
                XCTAssertLessThanOrEqual(request.body.count, Self.limits.maxBodyBytes)
                XCTAssertFalse(request.method.isEmpty)
            }
            if summary(whole) != summary(split) {
                XCTFail("split changed the outcome for \(String(decoding: input, as: UTF8.self).debugDescription): \(summary(whole)) vs \(summary(split))")
                return
            }
        }
        XCTAssertGreaterThan(accepted, 1000)
        XCTAssertGreaterThan(rejected, 1000)
    }

    func testUnmutatedCorpusParsesCompletely() {
        for text in Self.corpus {
            let out = parseAll(text, limits: Self.limits, split: 3)
            XCTAssertNil(out.error, text.debugDescription)
            XCTAssertFalse(out.requests.isEmpty, text.debugDescription)
        }
    }
}
