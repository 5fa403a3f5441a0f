/// One sequence that wants draft tokens this step.
public struct DraftRequest: Sendable, Equatable {
    public var id: UInt64
    /// The llama sequence id it decodes in (a draft model keeps its own cache per slot).
    public var slot: Int
    /// The prompt and every token generated so far; the step decodes the last one.
    public var tokens: [Token]
    /// Most draft tokens it may carry (budget, cells, context and its draft limit).
    public var limit: Int

    public init(id: UInt64, slot: Int, tokens: [Token], limit: Int) {
        self.id = id
        self.slot = slot
        self.tokens = tokens
        self.limit = limit
    }
}

/// What proposes the tokens a decode carries after its own: the scheduler
/// asks once per step with every sequence that wants drafts, so a drafter
/// that runs a model (DraftModelDrafter) decodes them as one batch. An
/// answer may be shorter than a request's limit or missing (no guess);
/// longer ones are cut. An empty answer means "not ready yet" (a draft
/// model still filling its cache with a long prompt): the scheduler asks
/// again next step instead of pausing the sequence as after a miss. The
/// target model verifies every guess, so a drafter decides only the speed,
/// never the output.
public protocol Drafter {
    func draft(_ requests: [DraftRequest]) -> [UInt64: [Token]]
}

/// A separate draft model (config `speculative.type` "draft"): what the
/// model store loads beside the target and the engine drafts with.
public struct DraftModelOptions: Sendable, Equatable {
    /// Absolute path of the draft GGUF.
    public var path: String
    /// Most draft tokens per decode.
    public var maxDraft: Int
    /// A sequence's guesses stop before the first the draft model gives less
    /// than this probability (llama.cpp's p_min); 0: they never stop early.
    public var minProbability: Float

    public init(path: String, maxDraft: Int = 8, minProbability: Float = 0) {
        self.path = path
        self.maxDraft = max(1, maxDraft)
        self.minProbability = min(1, max(0, minProbability))
    }
}

/// How a model speculates (config `speculative`): by prompt lookup, or with
/// a draft model; at most one of them.
public struct SpeculationConfig: Sendable, Equatable {
    /// Prompt-lookup drafting; nil: none.
    public var ngram: NgramDrafter?
    /// A draft model's guesses; nil: none.
    public var draftModel: DraftModelOptions?
    /// Drafts only as long as they pay on this machine (SpeculationGate);
    /// false: every draft found is verified (tests, measurements).
    public var adaptive: Bool = true

    public init(ngram: NgramDrafter? = nil, adaptive: Bool = true) {
        self.ngram = ngram
        self.adaptive = adaptive
    }
    public init(draftModel: DraftModelOptions, adaptive: Bool = true) {
        self.draftModel = draftModel
        self.adaptive = adaptive
    }

    public static let off = SpeculationConfig()
    public var isOn: Bool { ngram != nil || draftModel != nil }
    /// Most draft tokens one decode may carry.
    public var maxDraft: Int { draftModel?.maxDraft ?? ngram?.maxDraft ?? 0 }
}
