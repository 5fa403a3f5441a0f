/// Prompt-lookup drafting: the tokens that followed an earlier occurrence of
/// the sequence's latest n-gram are proposed as the next ones. No draft
/// model: agents and editors re-emit text from their prompt (a file written
/// back with one change, a quoted tool result), and there the guess is right
/// for long runs. Where it is wrong the target model's own sample replaces
/// it, so the output does not change, only the speed.
public struct NgramDrafter: Drafter, Sendable, Equatable {
    /// Longest and shortest n-gram matched, longest first.
    public var maxN: Int
    public var minN: Int
    /// Most draft tokens proposed per step.
    public var maxDraft: Int
    /// How far back to search (tokens); bounds the cost per step.
    public var window: Int
    /// Tokens before a full `maxN`-gram that still rank its occurrences.
    /// Source code repeats its n-grams: in a file written back, the last four
    /// tokens (`height + `) occur once per function, and only the tokens
    /// before them (`def shape_5(`) say which function is being copied. The
    /// occurrence whose preceding text agrees longest is the one being
    /// copied; the latest occurrence, often the function just written, is
    /// where the copy is not.
    public var contextSpan: Int

    public init(maxN: Int = 4, minN: Int = 2, maxDraft: Int = 8, window: Int = 16_384, contextSpan: Int = 64) {
        self.maxN = max(1, maxN)
        self.minN = max(1, min(minN, maxN))
        self.maxDraft = max(0, maxDraft)
        self.window = max(1, window)
        self.contextSpan = max(0, contextSpan)
    }

    /// Up to `limit` (and `maxDraft`) tokens guessed to follow `history`:
    /// after the earlier place where the longest suffix of at least `minN`
    /// (at most `maxN`) tokens occurred; among the occurrences of a full
    /// `maxN`-gram, the one whose preceding tokens agree with the history's
    /// longest (up to `contextSpan` more); the latest of equals. One backward
    /// pass over the window, since it runs for every speculating sequence in
    /// every step: each earlier occurrence of the last token is measured
    /// backwards, and only a strictly longer match replaces the one found.
    public func draft(_ history: [Token], limit: Int = .max) -> [Token] {
        let want = min(maxDraft, limit)
        let end = history.count
        guard want > 0, end > minN else { return [] }
        let last = history[end - 1]
        let cap = maxN + contextSpan
        var bestLength = 0, bestEnd = -1
        var p = end - 2
        while p >= max(0, end - window) {
            if history[p] == last {
                var n = 1
                while n < cap && p - n >= 0 && history[p - n] == history[end - 1 - n] { n += 1 }
                if n > bestLength {
                    bestLength = n
                    bestEnd = p
                    if n == cap { break }
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
