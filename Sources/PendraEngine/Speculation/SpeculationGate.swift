/// Decides how many draft tokens pay on this machine, from what its steps
/// cost. Verifying k guesses adds k tokens to a step: where decode is bound
/// by reading the weights (a GPU) that is nearly free, where it is bound by
/// arithmetic (a few CPU cores) each guess costs a good part of what a token
/// does, and drafting that is often wrong makes the stream slower than
/// without it.
///
/// Cost model: a step without prompt tokens of `x` tokens takes `cost(x)`
/// seconds: the mean of the recent steps of that size, between sizes seen
/// the straight line between them, beyond them the slope of a least-squares
/// line over all steps (exponentially weighted). The curve is not straight
/// on a CPU: SmolLM2 on 2 cores took 20 ms for one token, 33 for two and 77
/// for nine, because one token runs matrix-vector kernels and more run
/// matrix products. A straight line fitted to the small steps a cautious
/// gate leaves would price every guess at the dear second token's cost.
///
/// An accepted guess saves its stream one step, and a step is shared by the
/// `n` streams decoding in it, so it is worth `cost(n) / n`; `k` guesses cost
/// `cost(n + k) - cost(n)`. With `s_i` the chance that guess i is used (it and
/// every guess before it accepted: DraftRecord), the draft length is the `k`
/// with the largest `Σ_{i≤k} s_i × cost(n) / n - (cost(n + k) - cost(n))`,
/// none if no `k` gains. Until the cost is known every draft runs (that is
/// how it gets known); a sequence the gate turns off probes again after
/// `probeInterval` steps, so a change of text or load is seen.
///
/// Pure: the scheduler feeds it the engine's step timings.
public struct SpeculationGate: Sendable, Equatable {
    /// Steps a sequence waits after the gate said no before drafting again.
    public var probeInterval: Int
    /// Per-guess acceptance assumed for a sequence that has not drafted yet.
    public var priorAcceptance: Double

    // Weighted sums of (tokens, seconds) over steps without prompt tokens.
    private var w = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
    static let decay = 0.97
    /// Steps observed before the fit is trusted.
    static let minimumSteps = 8.0
    /// Recent mean seconds of steps of each size seen, by size, ascending
    /// (a size keeps its mean while steps of other sizes run, so what a long
    /// draft costs is not forgotten while the gate keeps drafts short).
    private var sizes: [Int] = []
    private var sizeCost: [Double] = []
    static let sizeWeight = 0.25

    public init(probeInterval: Int = 16, priorAcceptance: Double = 0.6) {
        self.probeInterval = max(1, probeInterval)
        self.priorAcceptance = priorAcceptance
    }

    /// A step of `tokens` tokens (decodes and their guesses, no prompt
    /// tokens) took `seconds`.
    public mutating func observe(tokens: Int, seconds: Double) {
        guard tokens > 0, seconds > 0, seconds.isFinite else { return }
        let x = Double(tokens)
        w = w * Self.decay + 1
        sx = sx * Self.decay + x
        sy = sy * Self.decay + seconds
        sxx = sxx * Self.decay + x * x
        sxy = sxy * Self.decay + x * seconds
        let i = firstSize(atLeast: tokens)
        if i < sizes.count && sizes[i] == tokens {
            sizeCost[i] += Self.sizeWeight * (seconds - sizeCost[i])
        } else {
            sizes.insert(tokens, at: i)
            sizeCost.insert(seconds, at: i)
        }
    }

    /// Index of the first size seen that is >= `tokens` (binary search).
    private func firstSize(atLeast tokens: Int) -> Int {
        var lo = 0, hi = sizes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sizes[mid] < tokens { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The fitted straight line: fixed seconds and seconds per token, once
    /// the steps seen differ enough in size to tell them apart.
    public var fit: (fixed: Double, perToken: Double)? {
        guard w >= Self.minimumSteps else { return nil }
        let meanX = sx / w, meanY = sy / w
        let varX = sxx / w - meanX * meanX
        // Token counts that hardly vary (every step the same size) say nothing of the slope.
        guard varX > 0.05 else { return nil }
        let slope = max(0, (sxy / w - meanX * meanY) / varX)
        return (max(0, meanY - slope * meanX), slope)
    }

    /// Seconds a step of `tokens` tokens is expected to take; nil while the
    /// fit is not known.
    public func cost(_ tokens: Int) -> Double? {
        fit.map { cost(tokens, line: $0) }
    }

    private func cost(_ tokens: Int, line: (fixed: Double, perToken: Double)) -> Double {
        let i = firstSize(atLeast: tokens)
        let above = i < sizes.count ? i : nil, below = i > 0 ? i - 1 : nil
        switch (below, above) {
        case (_, let hi?) where sizes[hi] == tokens:
            return sizeCost[hi]
        case let (lo?, hi?):
            let f = Double(tokens - sizes[lo]) / Double(sizes[hi] - sizes[lo])
            return sizeCost[lo] + f * (sizeCost[hi] - sizeCost[lo])
        case let (lo?, nil):
            return sizeCost[lo] + line.perToken * Double(tokens - sizes[lo])
        case let (nil, hi?):
            return max(0, sizeCost[hi] - line.perToken * Double(sizes[hi] - tokens))
        case (nil, nil):
            return line.fixed + line.perToken * Double(tokens)
        }
    }

    /// Guesses worth verifying, at most `limit`, for a sequence whose guess
    /// i is used with chance `survival[i - 1]`, in a step with `decodes`
    /// streams decoding. `limit` while the cost is not known.
    public func draftLength(limit: Int, survival: [Double], decodes: Int) -> Int {
        let limit = min(limit, survival.count)
        guard limit > 0 else { return 0 }
        guard let line = fit else { return limit }
        let n = max(1, decodes)
        let base = cost(n, line: line)
        let saved = base / Double(n)
        var best = 0, bestGain = 0.0, used = 0.0
        for k in 1...limit {
            used += min(max(survival[k - 1], 0), 1)
            let gain = used * saved - (cost(n + k, line: line) - base)
            if gain > bestGain { best = k; bestGain = gain }
        }
        return best
    }
}

/// A sequence's record of its guesses, by position in the draft: how often
/// guess i was accepted when every guess before it was (so was judged),
/// recent drafts weighing most. Acceptance comes in runs: text copied from
/// the prompt is right for a stretch, then a changed name or number breaks
/// it, and the guesses after a first few right ones are right more often
/// than the first. One rate for all positions would price a long draft as if
/// each guess could fail as often as the first.
public struct DraftRecord: Sendable, Equatable {
    private var accepted: [Double] = []
    private var judged: [Double] = []
    static let decay = 0.8

    public init() {}

    public mutating func record(drafted: Int, accepted a: Int) {
        guard drafted > 0 else { return }
        if judged.count < drafted {
            accepted += Array(repeating: 0, count: drafted - judged.count)
            judged += Array(repeating: 0, count: drafted - judged.count)
        }
        for j in judged.indices {
            accepted[j] *= Self.decay
            judged[j] *= Self.decay
        }
        for j in 0..<min(drafted, a + 1) { judged[j] += 1 }
        for j in 0..<min(drafted, a) { accepted[j] += 1 }
    }

    /// The chance each of the next `limit` guesses is used: the product of
    /// each position's acceptance up to it. A position's acceptance leans on
    /// the one before it as on one judged guess (the first on `prior`), so a
    /// position seldom reached takes the estimate of the one before.
    public func survival(limit: Int, prior: Double) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(max(0, limit))
        var q = prior, reach = 1.0
        for j in 0..<max(0, limit) {
            if j < judged.count { q = (accepted[j] + q) / (judged[j] + 1) }
            reach *= q
            out.append(reach)
        }
        return out
    }
}
