/// Prompt-lookup drafting: the tokens that followed the last earlier
/// occurrence of the sequence's latest n-gram are proposed as the next ones.
/// No draft model: agents and editors re-emit text from their prompt (a file
/// written back with one change, a quoted tool result), and there the guess
/// is right for long runs. Where it is wrong the target model's own sample
/// replaces it, so the output does not change, only the speed.
public struct NgramDrafter: Drafter, Sendable, Equatable {
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

    /// Up to `limit` (and `maxDraft`) tokens guessed to follow `history`:
    /// after the latest earlier place where the longest suffix of at least
    /// `minN` (at most `maxN`) tokens occurred. One backward pass over the
    /// window, since it runs for every speculating sequence in every step:
    /// each earlier occurrence of the last token is measured backwards, and
    /// only a strictly longer match replaces the latest one found.
    public func draft(_ history: [Token], limit: Int = .max) -> [Token] {
        let want = min(maxDraft, limit)
        let end = history.count
        guard want > 0, end > minN else { return [] }
        let last = history[end - 1]
        var bestLength = 0, bestEnd = -1
        var p = end - 2
        while p >= max(0, end - window) {
            if history[p] == last {
                var n = 1
                while n < maxN && p - n >= 0 && history[p - n] == history[end - 1 - n] { n += 1 }
                if n > bestLength {
                    bestLength = n
                    bestEnd = p
                    if n == maxN { break }
                }
            }
            p -= 1
        }
        guard bestLength >= minN else { return [] }
        return Array(history[(bestEnd + 1)..<min(bestEnd + 1 + want, end)])
    }
}

extension NgramDrafter {
    /// Each request searched on its own: a lookup has nothing to share.
    public func draft(_ requests: [DraftRequest]) -> [UInt64: [Token]] {
        var out: [UInt64: [Token]] = [:]
        for r in requests {
            let guess = draft(r.tokens, limit: r.limit)
            if !guess.isEmpty { out[r.id] = guess }
        }
        return out
    }
}
