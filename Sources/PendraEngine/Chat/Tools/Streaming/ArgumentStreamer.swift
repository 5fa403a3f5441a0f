/// Streams one JSON arguments value as the model writes it: each feed gives
/// the new text with the whitespace outside strings dropped (the compact
/// form the whole-call parsers give), and says where the value ends.
///
/// It only balances brackets outside strings, as `JSONExtent` does: the text
/// is passed on as written, so concatenated fragments are the arguments the
/// model wrote. Under a forced call the grammar makes them valid JSON.
struct ArgumentStreamer {
    private var stack: [UInt8] = []
    private var inString = false
    private var escaped = false
    /// The value's closing bracket was seen.
    private(set) var done = false

    /// `open`: brackets already open (a streamer for the rest of an object
    /// whose first bytes were read elsewhere).
    init(open: [UInt8] = []) {
        stack = open.map { $0 == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}") }
    }

    /// The compacted text of `bytes`, and how many of them belong to the
    /// value (all of them until it closes).
    mutating func feed(_ bytes: ArraySlice<UInt8>) -> (text: [UInt8], consumed: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var consumed = 0
        for b in bytes {
            guard !done else { break }
            consumed += 1
            if inString {
                out.append(b)
                if escaped { escaped = false }
                else if b == UInt8(ascii: "\\") { escaped = true }
                else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case 0x20, 0x0A, 0x0D, 0x09:
                continue
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"):
                stack.append(UInt8(ascii: "}"))
            case UInt8(ascii: "["):
                stack.append(UInt8(ascii: "]"))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
                if stack.isEmpty { done = true }
            default:
                break
            }
            out.append(b)
        }
        return (out, consumed)
    }
}
