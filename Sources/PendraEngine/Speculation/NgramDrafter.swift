/// Prompt-lookup drafting: the tokens that followed the last earlier
/// occurrence of the sequence's latest n-gram are proposed as the next ones.
/// No draft model: agents and editors re-emit text from their prompt (a file
/// written back with one change, a quoted tool result), and there the guess
/// is right for long runs. Where it is wrong the target model's own sample
/// replaces it, so the output does not change, only the speed.
public struct NgramDrafter: Sendable, Equatable {
    /// Longest and shortest n-gram matched, longest first.
    public var maxN: Int
    public var minN: Int
    /// Most draft tokens proposed per step.
    public var maxDraft: Int
    /// How far back to search (tokens); bounds the cost per step.
    public var window: Int

    public init(maxN: Int = 4, minN: Int = 2, maxDraft: Int = 8, window: Int = 16_384) {
        self.maxN = max(1, maxN)
        self.minN = max(1, min(minN, maxN))
        self.maxDraft = max(0, maxDraft)
        self.window = max(1, window)
    }

    /// Up to `limit` (and `maxDraft`) tokens guessed to follow `history`.
    public func draft(_ history: [Token], limit: Int = .max) -> [Token] {
        let want = min(maxDraft, limit)
        guard want > 0, history.count > minN else { return [] }
        let end = history.count
        let lowest = max(0, end - window)
        for n in stride(from: min(maxN, end - 1), through: minN, by: -1) {
            let key = end - n
            // The latest earlier occurrence: start positions before the key itself.
            var p = key - 1
            while p >= lowest {
                if history[p] == history[key] && matches(history, p, key, n) {
                    let from = p + n
                    let to = min(from + want, end)
                    if to > from { return Array(history[from..<to]) }
                }
                p -= 1
            }
        }
        return []
    }

    private func matches(_ h: [Token], _ a: Int, _ b: Int, _ n: Int) -> Bool {
        var i = 1
        while i < n {
            if h[a + i] != h[b + i] { return false }
            i += 1
        }
        return true
    }
}

/// How a model speculates (config `speculative`).
public struct SpeculationConfig: Sendable, Equatable {
    /// nil: no speculation.
    public var ngram: NgramDrafter?

    public init(ngram: NgramDrafter? = nil) { self.ngram = ngram }

    public static let off = SpeculationConfig()
    public var isOn: Bool { ngram != nil }
}
