/// Sizes each step's prefill share so that a step, and so the gap between
/// two tokens of every running stream, stays near a target time. Without
/// it a step that carries a full budget of prompt tokens stalls every
/// running stream for as long as that prefill takes (over a second on two
/// CPU cores with a 512-token budget, as under llama-server).
///
/// Pure: the engine times each step and reports it with `observe`; the
/// scheduler asks `prefillTokens` how many prompt tokens the next step may
/// carry. The cost model is a step's fixed part (measured on steps that only
/// decode: mostly reading the weights once) plus a cost per prompt token
/// (measured on steps that prefill), each an exponential moving average, so
/// it follows the machine's load and the prompts' growing attention cost.
/// Where the decodes alone exceed the target, a step may take twice a
/// decode-only step: running streams slow to half speed at worst, and the
/// prompt still advances at a useful rate.
public struct PrefillPacer: Sendable, Equatable {
    /// The step time to stay within while streams decode; 0 turns pacing off
    /// (every step may fill the whole budget, llama-server's behaviour).
    public var targetSeconds: Double
    /// Never fewer prompt tokens per step than this: a prefill always
    /// advances, and chunks stay large enough for the efficient matmul path.
    public var minimumChunk: Int
    /// Before anything is measured.
    public var initialChunk: Int

    /// Seconds of a decode-only step.
    public private(set) var decodeStepSeconds: Double?
    /// Seconds per prompt token in a step.
    public private(set) var secondsPerPromptToken: Double?

    static let smoothing = 0.3

    public init(targetSeconds: Double = 0.2, minimumChunk: Int = 64, initialChunk: Int = 128) {
        self.targetSeconds = targetSeconds
        self.minimumChunk = minimumChunk
        self.initialChunk = initialChunk
    }

    /// A step ran: `decodes` sequences advanced by one token, `promptTokens`
    /// prompt tokens were prefilled and `draftTokens` speculative guesses
    /// verified, in `seconds` (decode and sampling). A guess costs what a
    /// prompt token in the same batch does.
    public mutating func observe(decodes: Int, promptTokens: Int, draftTokens: Int = 0, seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        if promptTokens == 0 {
            // With guesses beside the decodes the step's split is unknown.
            guard decodes > 0, draftTokens == 0 else { return }
            decodeStepSeconds = Self.blend(decodeStepSeconds, seconds)
            return
        }
        // Too small a chunk says more about per-step overhead than per-token cost.
        guard promptTokens >= minimumChunk / 2 else { return }
        let fixed = decodes > 0 ? (decodeStepSeconds ?? 0) : 0
        let perToken = max(seconds - fixed, seconds * 0.1) / Double(promptTokens + draftTokens)
        secondsPerPromptToken = Self.blend(secondsPerPromptToken, perToken)
    }

    /// Prompt tokens the next step may carry, out of `budget` left after its
    /// decodes and their `drafts`. With nothing decoding no one waits on the
    /// step: all of it.
    public func prefillTokens(decodes: Int, drafts: Int = 0, budget: Int) -> Int {
        guard decodes > 0, targetSeconds > 0, budget > minimumChunk else { return budget }
        guard let perToken = secondsPerPromptToken, perToken > 0 else { return min(budget, max(initialChunk, minimumChunk)) }
        // A machine too slow (or too loaded) for the target even without
        // prefill: let a step grow to twice the decode step rather than
        // starve the prompt, which would make its TTFT many times longer.
        let decode = decodeStepSeconds ?? 0
        let room = max(targetSeconds - decode, decode) - Double(drafts) * perToken
        let tokens = room > 0 ? Int(room / perToken) : 0
        return min(budget, max(minimumChunk, tokens))
    }

    private static func blend(_ old: Double?, _ new: Double) -> Double {
        guard let old else { return new }
        return old + smoothing * (new - old)
    }
}
