/// Finds where one JSON object or array written in model output ends.
///
/// Tool-call markers can appear inside argument strings (a call that writes
/// a file containing `</tool_call>`), so the end of a call must be found by
/// walking the JSON, not by searching for the closing tag. This only balances
/// brackets outside strings; whether the text is valid JSON is decided later
/// by `JSON.parse`.
enum JSONExtent {
    /// One past the closing bracket of the object or array that opens at
    /// `start`, or nil when `bytes[start]` is not `{`/`[` or the value is cut
    /// off before it closes (truncated output).
    static func end(in bytes: [UInt8], from start: Int) -> Int? {
        var scan = Scan(at: start)
        scan.advance(bytes)
        return scan.end
    }

    /// `end(in:from:)` that resumes: fed a buffer that only grows (a block
    /// being streamed), it reads each byte once instead of from the start on
    /// every token.
    struct Scan {
        private var stack: [UInt8] = []
        private var inString = false
        private var escaped = false
        private var position: Int
        /// One past the closing bracket, once read.
        private(set) var end: Int?
        /// Not an object or array at the start, or a mismatched closer: not JSON at all.
        private(set) var broken = false

        init(at start: Int) { position = start }

        mutating func advance(_ bytes: [UInt8]) {
            while end == nil, !broken, position < bytes.count {
                let b = bytes[position]
                // The stack is empty only before the first byte.
                if stack.isEmpty && b != UInt8(ascii: "{") && b != UInt8(ascii: "[") { broken = true; return }
                if inString {
                    if escaped { escaped = false }
                    else if b == UInt8(ascii: "\\") { escaped = true }
                    else if b == UInt8(ascii: "\"") { inString = false }
                } else {
                    switch b {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"): stack.append(UInt8(ascii: "}"))
                    case UInt8(ascii: "["): stack.append(UInt8(ascii: "]"))
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        // A mismatched closer means this is not JSON at all.
                        guard stack.popLast() == b else { broken = true; return }
                        if stack.isEmpty { end = position + 1 }
                    default: break
                    }
                }
                position += 1
            }
        }
    }

    /// The first index at or after `from` that is not JSON whitespace.
    static func skipSpace(_ bytes: [UInt8], from: Int) -> Int {
        var i = from
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        return i
    }

    /// Whether `marker` occurs in `bytes` at `at`.
    static func hasMarker(_ bytes: [UInt8], _ marker: [UInt8], at: Int) -> Bool {
        guard at >= 0, at + marker.count <= bytes.count else { return false }
        for k in 0..<marker.count where bytes[at + k] != marker[k] { return false }
        return true
    }

    /// The first index at or after `from` where `marker` starts.
    static func find(_ marker: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard !marker.isEmpty, bytes.count >= marker.count, from <= bytes.count - marker.count else { return nil }
        for i in from...(bytes.count - marker.count) where hasMarker(bytes, marker, at: i) { return i }
        return nil
    }

    static func text(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// How many bytes at the end of `bytes[from...]` may be the start of one
    /// of `markers` (the longest such tail): a stream holds them back until
    /// the next delta says whether the marker follows.
    static func markerTail<M: Collection<[UInt8]>>(_ markers: M, in bytes: [UInt8], from: Int = 0) -> Int {
        var best = 0
        for m in markers {
            var k = min(m.count - 1, bytes.count - from)
            while k > best && !bytes.suffix(k).elementsEqual(m.prefix(k)) { k -= 1 }
            best = max(best, k)
        }
        return best
    }

    static func markerTail(_ marker: [UInt8], in bytes: [UInt8], from: Int = 0) -> Int {
        markerTail(CollectionOfOne(marker), in: bytes, from: from)
    }
}
