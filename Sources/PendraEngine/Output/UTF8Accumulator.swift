/// Turns token bytes into text without ever splitting a UTF-8 character: a
/// token may end in the middle of a multi-byte character and the next one
/// completes it, so incomplete trailing bytes wait for more. Bytes that can
/// never become valid UTF-8 come out as U+FFFD.
public struct UTF8Accumulator: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Appends bytes; returns the text that is now complete (may be empty).
    public mutating func append(_ bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeSubrange(..<cut)
        return text
    }

    /// Whatever is left at the end of generation (invalid tails become U+FFFD).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    public var hasPending: Bool { !pending.isEmpty }

    /// Length of the longest prefix that does not end inside a character
    /// that could still be completed by more bytes.
    static func completePrefixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        // Look back at most 3 bytes for the start of the last character.
        var i = n - 1
        var back = 0
        while i >= 0 && back < 4 {
            let byte = b[i]
            if byte & 0xC0 != 0x80 {  // a lead byte (or ASCII)
                let need: Int
                if byte < 0x80 { need = 1 }
                else if byte & 0xE0 == 0xC0 { need = 2 }
                else if byte & 0xF0 == 0xE0 { need = 3 }
                else if byte & 0xF8 == 0xF0 { need = 4 }
                else { return n }  // invalid lead byte: emit all, decoder replaces it
                return (n - i) < need ? i : n
            }
            i -= 1
            back += 1
        }
        return n  // only continuation bytes at the end: invalid, emit
    }
}
