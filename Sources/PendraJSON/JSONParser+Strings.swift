/// String literals: escapes, surrogate pairs and UTF-8 validation.
extension JSONParser {
    /// Reads the string opening at `pos` (a quote) and moves past its end.
    /// Strings without escapes, nearly all of a request body, are decoded
    /// straight from the input; with escapes, runs of plain bytes are copied
    /// into `scratch` whole. UTF-8 is checked by Swift's validator once per
    /// string; `locateMalformedUTF8` runs only to name the offending byte.
    mutating func string() throws(JSON.ParseError) -> String {
        let open = pos
        let start = pos + 1
        let n = bytes.count
        var i = plainRunEnd(from: start)
        if i < n, bytes[i] == UInt8(ascii: "\"") {
            pos = i + 1
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
            if let s = String(validating: raw, as: UTF8.self) { return s }
            try locateMalformedUTF8(start..<i)
            return String(decoding: raw, as: UTF8.self)  // not reached: the two validators agree
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while i < n {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                pos = i + 1
                if let s = String(validating: scratch, as: UTF8.self) { return s }
                try locateMalformedUTF8(start..<i)
                return String(decoding: scratch, as: UTF8.self)  // not reached, as above
            }
            if b < 0x20 {
                try locateMalformedUTF8(start..<i)
                pos = i
                throw controlCharacter(b)
            }
            pos = i
            try escape()
            let run = plainRunEnd(from: pos)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pos..<run]))
            i = run
        }
        try locateMalformedUTF8(start..<n)
        pos = n
        throw fail("unterminated string (opened at byte \(open))")
    }

    /// The first index from `i` holding a quote, a backslash or a control
    /// character: eight bytes per step (SWAR), since this scan is most of the
    /// work on a large body. A flagged word is finished byte by byte.
    private func plainRunEnd(from start: Int) -> Int {
        var i = start
        let n = bytes.count
        if n >= 8, let base = UnsafeRawPointer(bytes.baseAddress) {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while i + 8 <= n {
                let w = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
                // Each term has a high bit set where its byte is zero / below 0x20
                // (never a miss; a false hit only next to a real one).
                let hit = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w)
                if hit & highs != 0 { break }
                i += 8
            }
        }
        while i < n {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 { break }
            i += 1
        }
        return i
    }

    /// Throws at the first malformed UTF-8 sequence in `range` of the input
    /// (escapes skipped: they were checked when read). Restores `pos` when
    /// there is none.
    private mutating func locateMalformedUTF8(_ range: Range<Int>) throws(JSON.ParseError) {
        let saved = pos
        pos = range.lowerBound
        while pos < range.upperBound {
            let b = bytes[pos]
            if b == UInt8(ascii: "\\") {
                pos += pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: "u") ? 6 : 2
            } else if b < 0x80 {
                pos += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        pos = saved
    }

    private func controlCharacter(_ b: UInt8) -> JSON.ParseError {
        fail("control character 0x" + String(b, radix: 16, uppercase: true) + " in a string must be escaped")
    }

    /// One escape at `pos` (a backslash), appended to `scratch` as UTF-8.
    private mutating func escape() throws(JSON.ParseError) {
        guard pos + 1 < bytes.count else { throw fail("unterminated escape at the end of the text") }
        let e = bytes[pos + 1]
        let simple: UInt8?
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = e
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default:
            pos += 1
            throw fail("invalid escape in a string: a backslash followed by \(found)")
        }
        if let simple {
            scratch.append(simple)
            pos += 2
            return
        }
        let unit = try hex4(at: pos + 2)
        pos += 6
        var scalar: UInt32 = unit
        if (0xD800...0xDBFF).contains(unit) {
            // A high surrogate counts only with a low one right after it.
            if pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u"),
               let low = try? hex4(at: pos + 2), (0xDC00...0xDFFF).contains(low) {
                scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                pos += 6
            } else {
                scalar = 0xFFFD
            }
        } else if (0xDC00...0xDFFF).contains(unit) {
            scalar = 0xFFFD
        }
        appendUTF8(scalar)
    }

    private func hex4(at offset: Int) throws(JSON.ParseError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw fail("\\u escape needs four hex digits", at: offset) }
        var v: UInt32 = 0
        for i in offset..<(offset + 4) {
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw fail("\\u escape needs four hex digits", at: i)
            }
            v = v << 4 | UInt32(digit)
        }
        return v
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80:
            scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Moves past one well-formed UTF-8 sequence starting at `pos` (a byte
    /// >= 0x80), following Unicode's Table 3-7: no overlong forms, no encoded
    /// surrogates, nothing above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(JSON.ParseError) {
        let lead = bytes[pos]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF   // range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw fail("invalid UTF-8 (byte 0x" + String(lead, radix: 16, uppercase: true) + ")")
        }
        for k in 1..<length {
            let at = pos + k
            guard at < bytes.count else { throw fail("invalid UTF-8 (sequence cut off by the end of the text)") }
            let b = bytes[at]
            let ok = k == 1 ? (low...high).contains(b) : (0x80...0xBF).contains(b)
            guard ok else { throw fail("invalid UTF-8 (byte 0x" + String(b, radix: 16, uppercase: true) + " after 0x"
                                       + String(lead, radix: 16, uppercase: true) + ")", at: at) }
        }
        pos += length
    }
}
