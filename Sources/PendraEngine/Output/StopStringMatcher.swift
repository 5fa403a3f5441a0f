/// Finds stop strings in streamed text, across token boundaries, and holds
/// back just enough text that nothing past a stop string is ever emitted.
///
/// Text that could be the beginning of a stop string is held until the next
/// piece decides it; everything else is released immediately.
public struct StopStringMatcher: Sendable {
    public let stops: [String]
    private let stopBytes: [[UInt8]]
    private let longest: Int
    private var held: [UInt8] = []

    public init(_ stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
        self.stopBytes = self.stops.map { Array($0.utf8) }
        self.longest = stopBytes.map(\.count).max() ?? 0
    }

    public enum Result: Equatable, Sendable {
        /// Text safe to emit now (may be empty).
        case text(String)
        /// A stop string was found: emit `text` (what came before it) and end.
        case stopped(text: String, stop: String)
    }

    /// Feeds complete UTF-8 text.
    public mutating func feed(_ text: String) -> Result {
        guard longest > 0 else { return .text(text) }
        held.append(contentsOf: text.utf8)
        // Earliest occurrence of any stop string wins.
        var best: (at: Int, stop: Int)?
        for (k, s) in stopBytes.enumerated() {
            if let at = Self.find(s, in: held), best == nil || at < best!.at { best = (at, k) }
        }
        if let best {
            let before = String(decoding: held[..<best.at], as: UTF8.self)
            held.removeAll()
            return .stopped(text: before, stop: stops[best.stop])
        }
        // Keep the longest suffix that is a proper prefix of some stop string.
        let keep = heldSuffixLength()
        let release = held.count - keep
        guard release > 0 else { return .text("") }
        let out = String(decoding: held[..<release], as: UTF8.self)
        held.removeSubrange(..<release)
        return .text(out)
    }

    /// At the end of generation the held text is real output.
    public mutating func flush() -> String {
        defer { held.removeAll() }
        return String(decoding: held, as: UTF8.self)
    }

    private func heldSuffixLength() -> Int {
        let maxLen = min(longest - 1, held.count)
        guard maxLen > 0 else { return 0 }
        for len in stride(from: maxLen, through: 1, by: -1) {
            let suffix = held[(held.count - len)...]
            for s in stopBytes where s.count > len && s[..<len].elementsEqual(suffix) {
                // Never split a UTF-8 character between released and held text.
                var l = len
                while l < held.count && held[held.count - l] & 0xC0 == 0x80 { l += 1 }
                return l
            }
        }
        return 0
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard !needle.isEmpty, needle.count <= hay.count else { return nil }
        let first = needle[0]
        var i = 0
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
