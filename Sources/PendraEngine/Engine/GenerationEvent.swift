/// Why a generation ended. Becomes "stop" / "length" / "end_turn" / ... only
/// in the API formatters.
public enum FinishReason: Sendable, Equatable {
    /// The model produced an end-of-generation token.
    case endOfGeneration
    /// max_tokens reached, or the context is full.
    case length
    /// The output reached one of the request's stop strings (which one).
    case stopSequence(String)
    case cancelled
    case error(String)
}

public struct Usage: Sendable, Equatable {
    public var promptTokens: Int
    /// Prompt tokens whose KV came from the prefix cache instead of prefill.
    public var reusedPromptTokens: Int
    public var completionTokens: Int
    /// Of the completion tokens, those generated inside the reasoning.
    public var reasoningTokens: Int

    public init(promptTokens: Int = 0, reusedPromptTokens: Int = 0, completionTokens: Int = 0, reasoningTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.reusedPromptTokens = reusedPromptTokens
        self.completionTokens = completionTokens
        self.reasoningTokens = reasoningTokens
    }
}

public struct Timings: Sendable, Equatable {
    /// Seconds from submit to admission into the running batch.
    public var queued: Double = 0
    /// Seconds from submit to the first generated token.
    public var timeToFirstToken: Double = 0
    /// Generated tokens per second after the first.
    public var decodeTokensPerSecond: Double = 0
    /// Seconds from submit to the end.
    public var total: Double = 0
    public init() {}
}

public struct GenerationResult: Sendable, Equatable {
    public var reason: FinishReason
    public var usage: Usage
    public var timings: Timings

    public init(reason: FinishReason, usage: Usage, timings: Timings) {
        self.reason = reason
        self.usage = usage
        self.timings = timings
    }
}

/// What a generation stream yields, already understood: content text as it
/// becomes safe to show (valid UTF-8, never past a stop string), the model's
/// reasoning apart from it, tool calls parsed from the model's own syntax,
/// then exactly one `finished`. No API layer re-reads model text.
public enum GenerationEvent: Sendable, Equatable {
    case text(String)
    case reasoning(String)
    case toolCall(ToolCallDelta)
    case finished(GenerationResult)
}

/// A piece of one tool call. The first delta for an `index` carries `id` and
/// `name`; later ones (if any) only more `arguments` text. Concatenating a
/// call's `arguments` gives its complete JSON arguments.
public struct ToolCallDelta: Sendable, Equatable {
    public var index: Int
    public var id: String?
    public var name: String?
    public var arguments: String

    public init(index: Int, id: String? = nil, name: String? = nil, arguments: String) {
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The waiting queue is full (HTTP 503).
    case overloaded(limit: Int)
    /// The prompt can never fit in the context (HTTP 400).
    case promptTooLong(tokens: Int, limit: Int)
    case emptyPrompt
    /// An embedding input is longer than the context (HTTP 400).
    case inputTooLong(index: Int, tokens: Int, limit: Int)
    case invalidRequest(String)
    /// The engine is stopping or stopped (HTTP 503).
    case shuttingDown
    /// llama.cpp failed (HTTP 502: the worker failed).
    case backend(String)

    public var description: String {
        switch self {
        case .overloaded(let limit): "server overloaded: \(limit) requests already waiting"
        case .promptTooLong(let t, let l): "prompt is \(t) tokens, more than the \(l) this model's context can hold"
        case .emptyPrompt: "prompt is empty"
        case .inputTooLong(let i, let t, let l): "input \(i) is \(t) tokens, more than the model's context of \(l)"
        case .invalidRequest(let m): m
        case .shuttingDown: "the model is shutting down"
        case .backend(let m): "inference failed: \(m)"
        }
    }
}
