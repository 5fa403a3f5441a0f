/// How to pick each next token. Defaults follow llama-server's. The fields a
/// caller sets are remembered (`explicit`), so a model's configured defaults
/// (`GenerationDefaults`) fill only what the request left out.
public struct SamplingParameters: Sendable, Equatable {
    public enum Field: Sendable, Hashable { case temperature, topK, topP, minP, repetitionPenalty }

    /// 0 means greedy (always the most likely token).
    public var temperature: Float = 0.8 { didSet { explicit.insert(.temperature) } }
    /// 0 disables.
    public var topK: Int = 40 { didSet { explicit.insert(.topK) } }
    /// 1 disables.
    public var topP: Float = 0.95 { didSet { explicit.insert(.topP) } }
    /// 0 disables.
    public var minP: Float = 0.05 { didSet { explicit.insert(.minP) } }
    /// nil: a random seed per request.
    public var seed: UInt32?
    /// 1 disables. Multiplicative penalty on tokens seen in the last `penaltyWindow`.
    public var repetitionPenalty: Float = 1 { didSet { explicit.insert(.repetitionPenalty) } }
    /// OpenAI semantics: subtract `frequency * count` and `presence * (count > 0)`.
    public var frequencyPenalty: Float = 0
    public var presencePenalty: Float = 0
    public var penaltyWindow: Int = 64
    /// Added to the logits of these tokens; -infinity bans a token.
    public var logitBias: [Token: Float] = [:]
    /// A GBNF grammar the output must follow (constrained output).
    public var grammar: String?
    /// The fields set after initialisation: what the request asked for.
    public private(set) var explicit: Set<Field> = []

    public init() {}

    public static var greedy: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = 0
        return p
    }

    /// These parameters with a model's defaults in every field the request did
    /// not set. The result keeps `explicit` as the request's.
    public func filling(_ d: GenerationDefaults) -> SamplingParameters {
        var p = self
        let asked = explicit
        if !asked.contains(.temperature), let v = d.temperature { p.temperature = v }
        if !asked.contains(.topK), let v = d.topK { p.topK = v }
        if !asked.contains(.topP), let v = d.topP { p.topP = v }
        if !asked.contains(.minP), let v = d.minP { p.minP = v }
        if !asked.contains(.repetitionPenalty), let v = d.repetitionPenalty { p.repetitionPenalty = v }
        p.explicit = asked
        return p
    }
}

/// A model's own generation defaults from the config (like Ollama's Modelfile
/// parameters or llama-server's flags); nil fields keep the built-in ones, and
/// a request's own values always win.
public struct GenerationDefaults: Sendable, Equatable {
    public var temperature: Float?
    public var topP: Float?
    public var topK: Int?
    public var minP: Float?
    public var repetitionPenalty: Float?
    public var stop: [String]?
    /// Used when a request sends no max_tokens (Codex sends none; a small
    /// model sampling at temperature 1 can otherwise run to its context end).
    public var maxTokens: Int?

    public init(temperature: Float? = nil, topP: Float? = nil, topK: Int? = nil, minP: Float? = nil,
                repetitionPenalty: Float? = nil, stop: [String]? = nil, maxTokens: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.stop = stop
        self.maxTokens = maxTokens
    }

    public var isEmpty: Bool { self == GenerationDefaults() }
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
    /// A prompt position where recurrent memory should keep a state
    /// checkpoint besides the prompt's end (where the generation prompt starts).
    public var checkpointAt: Int?
    /// How the output text becomes reasoning, content and tool-call events.
    public var output: OutputSpec
    /// False: no draft tokens for this request even where the model
    /// speculates (a request's `speculative: false`).
    public var speculative = true

    public init(prompt: [Token], sampling: SamplingParameters = SamplingParameters(),
                maxTokens: Int? = nil, stop: [String] = [], ignoreEOS: Bool = false, output: OutputSpec = .plain,
                checkpointAt: Int? = nil) {
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.ignoreEOS = ignoreEOS
        self.checkpointAt = checkpointAt
        self.output = output
    }
}
