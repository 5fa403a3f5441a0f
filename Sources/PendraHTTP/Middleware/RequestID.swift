/// Request ids: every response carries one in `X-Request-Id`, and the access
/// log line and Anthropic error bodies quote it.
public enum RequestID {
    /// The header that carries the id both ways.
    public static let header = "X-Request-Id"

    /// `"req_"` followed by 24 lowercase hex digits (96 random bits).
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    /// As `generate()`, with a caller's generator (tests pass a seeded one).
    public static func generate<R: RandomNumberGenerator>(using rng: inout R) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = Array("req_".utf8)
        bytes.reserveCapacity(28)
        for _ in 0..<2 {
            var word = rng.next() as UInt64
            for _ in 0..<12 {               // 12 nibbles of each 64-bit word
                bytes.append(digits[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Echoes a caller's id (a gateway's, so logs line up across hops) when it
    /// is well-formed; otherwise makes a fresh one.
    public static func accepting(incoming: String?) -> String {
        if let incoming, isWellFormed(incoming) { return incoming }
        return generate()
    }

    /// 1-128 characters of `[A-Za-z0-9._:-]`: safe to echo in a header and
    /// to write in a log line.
    public static func isWellFormed(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        return utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x2E || c == 0x5F || c == 0x3A || c == 0x2D
        }
    }
}
