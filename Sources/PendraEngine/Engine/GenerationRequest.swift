/// How to pick each next token. Defaults follow llama-server's.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 means greedy (always the most likely token).
    public var temperature: Float = 0.8
    /// 0 disables.
    public var topK: Int = 40
    /// 1 disables.
    public var topP: Float = 0.95
    /// 0 disables.
    public var minP: Float = 0.05
    /// nil: a random seed per request.
    public var seed: UInt32?
    /// 1 disables. Multiplicative penalty on tokens seen in the last `penaltyWindow`.
    public var repetitionPenalty: Float = 1
    /// OpenAI semantics: subtract `frequency * count` and `presence * (count > 0)`.
    public var frequencyPenalty: Float = 0
    public var presencePenalty: Float = 0
    public var penaltyWindow: Int = 64
    /// Added to the logits of these tokens; -infinity bans a token.
    public var logitBias: [Token: Float] = [:]
    /// A GBNF grammar the output must follow (constrained output).
    public var grammar: String?

    public init() {}

    public static var greedy: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = 0
        return p
    }
}

/// One generation, as the engine sees it: tokens in, tokens out. Chat
/// formatting and tokenization happen before, on the caller's thread.
public struct GenerationRequest: Sendable {
    public var prompt: [Token]
    public var sampling: SamplingParameters
    /// nil: until the context is full.
    public var maxTokens: Int?
    /// Generation ends before any of these strings; the text never contains one.
    public var stop: [String]
    /// Keep generating through end-of-generation tokens (benchmarks).
    public var ignoreEOS: Bool
    /// How the output text becomes reasoning, content and tool-call events.
    public var output: OutputSpec

    public init(prompt: [Token], sampling: SamplingParameters = SamplingParameters(),
                maxTokens: Int? = nil, stop: [String] = [], ignoreEOS: Bool = false, output: OutputSpec = .plain) {
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.ignoreEOS = ignoreEOS
        self.output = output
    }
}
