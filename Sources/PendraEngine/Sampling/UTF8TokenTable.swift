/// Which tokens keep a sequence's output valid UTF-8, for grammar-constrained
/// sampling.
///
/// llama.cpp's grammar decodes token bytes leniently (it does not check that
/// continuation bytes are continuation bytes), so a token of stray bytes can
/// pass as one character of a JSON string while the text a client receives
/// holds U+FFFD replacements instead: a `maxLength` or an enum the grammar
/// enforced would not hold. Masking the tokens that would make the output
/// ill-formed keeps the grammar's idea of the text and the real text the same.
///
/// The state is where the output stands inside a character: complete, or
/// how many continuation bytes are still needed and which range the next one
/// must fall in (Unicode's well-formed table: no overlongs, no surrogates,
/// nothing past U+10FFFF). The table holds, for every token and state, the
/// state after the token's bytes, or `invalid`.
public struct UTF8TokenTable: Sendable {
    public static let stateCount = 16
    public static let invalid: UInt8 = 0xFF
    /// Between characters.
    public static let complete: UInt8 = 0

    private let next: [UInt8]
    public var vocabSize: Int { next.count / Self.stateCount }

    public init(pieces: [[UInt8]]) {
        var table = [UInt8](repeating: Self.invalid, count: pieces.count * Self.stateCount)
        for (token, bytes) in pieces.enumerated() {
            for state in 0..<Self.stateCount {
                table[token * Self.stateCount + state] = Self.advance(UInt8(state), bytes)
            }
        }
        next = table
    }

    /// The table for a model's vocabulary (its tokens' bytes as emitted).
    public init(model: LlamaModel) {
        var buffer: [UInt8] = []
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(model.vocabSize)
        for t in 0..<model.vocabSize {
            buffer.removeAll(keepingCapacity: true)
            model.piece(Token(t), into: &buffer)
            pieces.append(buffer)
        }
        self.init(pieces: pieces)
    }

    /// The state after `token` from `state`, or `invalid`.
    @inline(__always)
    public func after(_ token: Int, from state: UInt8) -> UInt8 {
        next[token &* Self.stateCount &+ Int(state)]
    }

    // State encoding: 0 = complete; 1 + (needed - 1) * 5 + range for 1...3
    // bytes still needed, where range is the allowed span of the next byte:
    // 0: 80-BF, 1: A0-BF (after E0), 2: 80-9F (after ED), 3: 90-BF (after F0),
    // 4: 80-8F (after F4).
    static func state(needed: Int, range: Int) -> UInt8 {
        needed == 0 ? complete : UInt8(1 + (needed - 1) * 5 + range)
    }

    /// Runs `bytes` from `state`; `invalid` if they cannot be part of
    /// well-formed UTF-8. A final character may stay incomplete.
    static func advance(_ state: UInt8, _ bytes: [UInt8]) -> UInt8 {
        guard state < stateCount else { return invalid }
        var needed = state == 0 ? 0 : (Int(state) - 1) / 5 + 1
        var range = state == 0 ? 0 : (Int(state) - 1) % 5
        for b in bytes {
            if needed > 0 {
                let (lo, hi): (UInt8, UInt8) = switch range {
                case 1: (0xA0, 0xBF)
                case 2: (0x80, 0x9F)
                case 3: (0x90, 0xBF)
                case 4: (0x80, 0x8F)
                default: (0x80, 0xBF)
                }
                guard b >= lo && b <= hi else { return invalid }
                needed -= 1
                range = 0
                continue
            }
            switch b {
            case 0x00...0x7F: break
            case 0xC2...0xDF: needed = 1
            case 0xE0: needed = 2; range = 1
            case 0xED: needed = 2; range = 2
            case 0xE1...0xEF: needed = 2
            case 0xF0: needed = 3; range = 3
            case 0xF4: needed = 3; range = 4
            case 0xF1...0xF3: needed = 3
            default: return invalid  // stray continuation, C0/C1, F5-FF
            }
        }
        return Self.state(needed: needed, range: range)
    }
}
