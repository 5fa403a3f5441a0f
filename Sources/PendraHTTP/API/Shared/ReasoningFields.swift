import PendraEngine

/// The request fields that switch reasoning on or off, per dialect, onto
/// one `ReasoningMode` (the engine maps that onto the model's template).
enum ReasoningFields {
    /// OpenAI: `reasoning_effort` (chat) or `reasoning.effort` (Responses):
    /// "none" turns reasoning off, any other effort on, and is passed to the
    /// template as `reasoning_effort`. `chat_template_kwargs` go to the
    /// template as they are, and their `enable_thinking` also sets the mode.
    /// `thinking_budget_tokens` (llama-server's name) caps the reasoning.
    static func openAI(_ body: RequestBody, effort: String?, into chat: inout ChatRequest) throws(APIError) {
        let budget = try body.int("thinking_budget_tokens", min: 0)
        if let kwargs = try body.object("chat_template_kwargs") {
            chat.templateKwargs = kwargs
            if let on = kwargs["enable_thinking"] {
                guard case .bool(let b) = on else {
                    throw body.invalid("chat_template_kwargs", "enable_thinking must be a boolean")
                }
                chat.reasoning = b ? .enabled(budget: budget) : .disabled
            }
        }
        if let effort {
            let efforts = ["none", "minimal", "low", "medium", "high", "xhigh"]
            guard efforts.contains(effort) else {
                throw .badRequest("reasoning effort '\(effort)' is not one of \(efforts.joined(separator: ", "))", param: "reasoning_effort")
            }
            chat.reasoningEffort = effort
            chat.reasoning = effort == "none" ? .disabled : .enabled(budget: budget)
        } else if budget != nil, chat.reasoning == .auto {
            chat.reasoning = .enabled(budget: budget)
        }
    }

    /// Anthropic `thinking`: `{"type":"enabled","budget_tokens":N}`,
    /// `{"type":"disabled"}`, `{"type":"adaptive"}` (the model decides: on, uncapped).
    static func anthropicThinking(_ body: RequestBody) throws(APIError) -> ReasoningMode {
        guard let o = try body.object("thinking") else { return .auto }
        let t = body.nested(o, at: "thinking")
        switch try t.string("type", required: true)! {
        case "enabled": return .enabled(budget: try t.int("budget_tokens", min: 0))
        case "disabled": return .disabled
        case "adaptive": return .enabled(budget: nil)
        case let other: throw t.invalid("type", "'\(other)' is not enabled, disabled or adaptive")
        }
    }
}
