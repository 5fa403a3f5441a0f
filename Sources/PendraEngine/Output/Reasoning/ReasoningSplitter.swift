/// Splits streamed model text into reasoning and content at the reasoning
/// tags, holding back only what may be the start of a tag.
///
/// An opening tag counts only at the very start of the output (after
/// whitespace), as llama-server reads it: a reply that later mentions
/// `<think>` is content. When the prompt already opened the reasoning, the
/// output starts inside it and only the closing tag is looked for.
struct ReasoningSplitter {
    enum Piece: Equatable {
        case reasoning(String)
        case content(String)
    }

    private enum State { case start, reasoning, content }

    private let open: [UInt8]
    private let close: [UInt8]
    private var state: State
    private var pending: [UInt8] = []
    /// Whitespace right after a tag is layout, not text ("<think>\n", "</think>\n\n").
    private var trimLeading = false

    init(format: ReasoningFormat, startsInReasoning: Bool) {
        switch format {
        case .tags(let o, let c):
            open = Array(o.utf8)
            close = Array(c.utf8)
            state = startsInReasoning ? .reasoning : .start
            trimLeading = startsInReasoning
        case .none, .harmony:
            open = []
            close = []
            state = .content
        }
    }

    /// True while the text fed is reasoning (the budget counts these tokens).
    var inReasoning: Bool { state == .reasoning }

    mutating func feed(_ text: String) -> [Piece] {
        if state == .content && !trimLeading { return text.isEmpty ? [] : [.content(text)] }
        pending.append(contentsOf: text.utf8)
        var out: [Piece] = []
        while true {
            if trimLeading {
                let i = JSONExtent.skipSpace(pending, from: 0)
                pending.removeFirst(i)
                if pending.isEmpty { return out }
                trimLeading = false
            }
            switch state {
            case .start:
                let i = JSONExtent.skipSpace(pending, from: 0)
                let rest = pending[i...]
                if rest.isEmpty { return out }
                if rest.starts(with: open) {
                    pending.removeFirst(i + open.count)
                    state = .reasoning
                    trimLeading = true
                    continue
                }
                if open.starts(with: rest) { return out }  // maybe the tag, cut
                state = .content
            case .reasoning:
                if let at = JSONExtent.find(close, in: pending, from: 0) {
                    if at > 0 { out.append(.reasoning(JSONExtent.text(pending, 0..<at))) }
                    pending.removeFirst(at + close.count)
                    state = .content
                    trimLeading = true
                    continue
                }
                var keep = min(close.count - 1, pending.count)
                while keep > 0 && !pending.suffix(keep).elementsEqual(close.prefix(keep)) { keep -= 1 }
                let n = pending.count - keep
                if n > 0 { out.append(.reasoning(JSONExtent.text(pending, 0..<n))) }
                pending.removeFirst(n)
                return out
            case .content:
                if !pending.isEmpty { out.append(.content(JSONExtent.text(pending, 0..<pending.count))) }
                pending = []
                return out
            }
        }
    }

    /// The held text at the end: a cut tag is what the model wrote.
    mutating func finish() -> [Piece] {
        defer { pending = [] }
        guard !pending.isEmpty else { return [] }
        let text = JSONExtent.text(pending, 0..<pending.count)
        return state == .reasoning ? [.reasoning(text)] : [.content(text)]
    }
}
