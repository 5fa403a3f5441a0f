/// Decides how many draft tokens pay on this machine, from what its steps
/// cost. Verifying k guesses adds k tokens to a step: where decode is bound
/// by reading the weights (a GPU) that is nearly free, where it is bound by
/// arithmetic (a few CPU cores) each guess costs almost what a token does,
/// and drafting that is often wrong makes the stream slower than without it.
///
/// Cost model: a step without prompt tokens takes `a + b × tokens` seconds,
/// fitted by exponentially weighted least squares over the steps observed
/// (decode-only steps and steps with guesses give the spread). An accepted
/// guess saves its stream one step, and a step is shared by the `n` streams
/// decoding in it, so it is worth `(a + b × n) / n`; each guess costs `b`.
/// With a per-guess acceptance probability `p` (guess i is used only if the
/// i - 1 before it were), guess i is worth `p^i × (a + b n) / n - b`: drafts
/// are lengthened while that is positive. Until the fit is known every draft
/// runs (that is how it gets known); a sequence the gate turns off probes
/// again after `probeInterval` steps, so a change of text or load is seen.
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
    }

    /// The fitted step cost: fixed seconds and seconds per token, once the
    /// steps seen differ enough in size to tell them apart.
    public var fit: (fixed: Double, perToken: Double)? {
        guard w >= Self.minimumSteps else { return nil }
        let meanX = sx / w, meanY = sy / w
        let varX = sxx / w - meanX * meanX
        // Token counts that hardly vary (every step the same size) say nothing of the slope.
        guard varX > 0.05 else { return nil }
        let slope = max(0, (sxy / w - meanX * meanY) / varX)
        return (max(0, meanY - slope * meanX), slope)
    }

    /// Guesses worth verifying, at most `limit`, for a sequence whose
    /// guesses are accepted with probability `acceptance`, in a step with
    /// `decodes` streams decoding. `limit` while the cost is not known.
    public func draftLength(limit: Int, acceptance: Double, decodes: Int) -> Int {
        guard limit > 0 else { return 0 }
        guard let (a, b) = fit else { return limit }
        guard b > 0 else { return limit }
        let n = Double(max(1, decodes))
        let saved = (a + b * n) / n
        let p = min(max(acceptance, 0), 0.999)
        var k = 0
        var reach = p
        while k < limit, reach * saved > b {
            k += 1
            reach *= p
        }
        return k
    }
}

/// A sequence's record of its guesses, as a per-guess acceptance
/// probability: guesses accepted over guesses judged (each accepted one, and
/// the first rejected one of a run; the ones after it were never judged),
/// recent runs weighing most.
public struct DraftRecord: Sendable, Equatable {
    private var accepted = 0.0
    private var judged = 0.0
    static let decay = 0.8

    public init() {}

    public mutating func record(drafted: Int, accepted a: Int) {
        guard drafted > 0 else { return }
        accepted = accepted * Self.decay + Double(a)
        judged = judged * Self.decay + Double(a + (a < drafted ? 1 : 0))
    }

    /// The acceptance probability, `prior` weighing as one judged guess.
    public func acceptance(prior: Double) -> Double {
        (accepted + prior) / (judged + 1)
    }
}
