import XCTest
@testable import PendraHTTP

final class SHA256StreamTests: XCTestCase {
    func testKnownVectors() {
        var empty = SHA256Stream()
        XCTAssertEqual(SHA256.hex(empty.finish()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256Stream()
        abc.update(Array("abc".utf8))
        XCTAssertEqual(SHA256.hex(abc.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Two blocks (the padding spills over), and a million bytes, one-shot.
        XCTAssertEqual(SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Any split of the input gives the one-shot digest, across block edges.
    func testChunkingNeverChangesTheDigest() {
        var rng = SystemRandomNumberGenerator()
        for length in [1, 55, 56, 63, 64, 65, 127, 128, 1000, 4097] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = SHA256.hex(SHA256.hash(data))
            for step in [1, 7, 64, 100, length] {
                var s = SHA256Stream()
                var i = 0
                while i < data.count {
                    s.update(Array(data[i..<min(data.count, i + step)]))
                    i += step
                }
                XCTAssertEqual(SHA256.hex(s.finish()), expected, "length \(length), step \(step)")
            }
        }
    }

    func testFileDigest() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pendra-sha-\(UInt32.random(in: 0...UInt32.max))")
        let data = (0..<((1 << 20) + 3)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(data).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try SHA256Stream.file(url.path), SHA256.hex(SHA256.hash(data)))
        XCTAssertThrowsError(try SHA256Stream.file(url.path + ".missing"))
    }
}
