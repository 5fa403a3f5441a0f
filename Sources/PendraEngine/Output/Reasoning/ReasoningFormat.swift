/// How a model marks its reasoning apart from its answer. Decided once per
/// model from its chat template, like the tool-call format.
public enum ReasoningFormat: Sendable, Equatable {
    /// Reasoning between two literal tags: `<think>…</think>` (Qwen3, QwQ,
    /// DeepSeek-R1, GLM-4.5+, Kimi-K2-Thinking, SmolLM3, MiniMax-M2, …) or
    /// `[THINK]…[/THINK]` (Magistral, Ministral reasoning).
    case tags(open: String, close: String)
    /// gpt-oss: harmony channels (analysis is reasoning, final is content).
    case harmony
    case none

    public static let think = ReasoningFormat.tags(open: "<think>", close: "</think>")
    public static let mistralThink = ReasoningFormat.tags(open: "[THINK]", close: "[/THINK]")

    /// Mistral's tags are tested first: its templates never write `<think>`,
    /// while a few `<think>` templates quote other formats in comments.
    public static func detect(chatTemplate: String?) -> ReasoningFormat {
        guard let t = chatTemplate, !t.isEmpty else { return .none }
        if t.contains("<|channel|>") && t.contains("<|message|>") { return .harmony }
        if t.contains("[THINK]") && t.contains("[/THINK]") { return .mistralThink }
        if t.contains("<think>") && t.contains("</think>") { return .think }
        return .none
    }

    public var openTag: String? { if case .tags(let o, _) = self { return o }; return nil }
    public var closeTag: String? { if case .tags(_, let c) = self { return c }; return nil }
    /// What the engine writes to end the reasoning when its budget is spent:
    /// the closing tag, or harmony's `<|end|>` closing the analysis message.
    public var budgetClose: String? { self == .harmony ? "<|end|>" : closeTag }

    /// Whether a rendered prompt already opened the reasoning (templates such
    /// as DeepSeek-R1's and Qwen3.5's end the generation prompt with
    /// `<think>\n`): then the model's first words are reasoning.
    public func promptOpensReasoning(_ prompt: String) -> Bool {
        guard case .tags(let open, let close) = self else { return false }
        var end = prompt.endIndex
        while end > prompt.startIndex, prompt[prompt.index(before: end)].isWhitespace { end = prompt.index(before: end) }
        let trimmed = prompt[..<end]
        guard trimmed.hasSuffix(open) else { return false }
        // `<think>\n\n</think>` (thinking disabled) ends with the close tag, not here.
        return !trimmed.hasSuffix(close)
    }

    /// Whether a rendered prompt ends with the reasoning already closed
    /// (`<think>\n\n</think>\n\n`: the template turned thinking off).
    public func promptClosesReasoning(_ prompt: String) -> Bool {
        guard case .tags(_, let close) = self else { return false }
        var end = prompt.endIndex
        while end > prompt.startIndex, prompt[prompt.index(before: end)].isWhitespace { end = prompt.index(before: end) }
        return prompt[..<end].hasSuffix(close)
    }
}

/// What a request wants from the model's reasoning.
public enum ReasoningMode: Sendable, Equatable {
    /// The template's default.
    case auto
    /// Reasoning on; `budget` caps the reasoning tokens (nil: no cap).
    case enabled(budget: Int?)
    case disabled
}
