import CLlama

/// Whether a model can draft for another: its guesses are token ids the
/// target verifies, so both must mean the same text by the same id. The
/// rule is llama.cpp's (common_speculative_are_compatible): the same
/// tokenizer type, the same BOS / EOS handling, sizes within 128 tokens
/// (fine-tunes pad their vocabulary), and the same text for every shared id
/// from 5 on (the first few are specials that conversions renumber). And the
/// draft's cache must be cut back after rejected guesses, which recurrent
/// state cannot do.
enum DraftCompatibility {
    static let maxSizeDifference = 128
    static let firstCheckedToken: Token = 5

    /// What the rule reads of a vocabulary.
    struct Vocabulary {
        var type: UInt32
        var addsBOS: Bool
        var bos: Token
        var addsEOS: Bool
        var eos: Token
        var size: Int
        var text: (Token) -> String?
    }

    /// Why `draft` cannot draft for `target`; nil when it can.
    static func problem(target: LlamaModel, draft: LlamaModel) -> String? {
        if draft.memoryKind == .recurrent { return "it has recurrent memory, which cannot drop rejected guesses" }
        if draft.hasEncoder || !draft.hasDecoder { return "it is not a decoder-only model" }
        return problem(target: Vocabulary(target), draft: Vocabulary(draft))
    }

    static func problem(target t: Vocabulary, draft d: Vocabulary) -> String? {
        if t.type != d.type { return "its tokenizer type (\(d.type)) is not the target's (\(t.type))" }
        if t.addsBOS != d.addsBOS || (t.addsBOS && t.bos != d.bos) {
            return "its BOS token (\(d.bos)\(d.addsBOS ? "" : ", not added")) differs from the target's (\(t.bos)\(t.addsBOS ? "" : ", not added"))"
        }
        if t.addsEOS != d.addsEOS || (t.addsEOS && t.eos != d.eos) {
            return "its EOS token (\(d.eos)\(d.addsEOS ? "" : ", not added")) differs from the target's (\(t.eos)\(t.addsEOS ? "" : ", not added"))"
        }
        if abs(t.size - d.size) > maxSizeDifference {
            return "its vocabulary has \(d.size) tokens and the target's \(t.size) (at most \(maxSizeDifference) apart)"
        }
        let shared = Token(min(t.size, d.size))
        guard shared > firstCheckedToken else { return nil }
        for id in firstCheckedToken..<shared where t.text(id) != d.text(id) {
            return "token \(id) is \(String(reflecting: d.text(id) ?? "")) in it and \(String(reflecting: t.text(id) ?? "")) in the target"
        }
        return nil
    }
}

extension DraftCompatibility.Vocabulary {
    init(_ m: LlamaModel) {
        let v = m.vocab
        self.init(type: llama_vocab_type(v).rawValue, addsBOS: llama_vocab_get_add_bos(v), bos: llama_vocab_bos(v),
                  addsEOS: llama_vocab_get_add_eos(v), eos: llama_vocab_eos(v), size: m.vocabSize,
                  text: { m.tokenText($0) })
    }
}
