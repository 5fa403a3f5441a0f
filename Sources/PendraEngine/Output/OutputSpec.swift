/// How the engine turns one generation's text into typed events: where the
/// reasoning is, how tool calls are written, and which tools exist. Built by
/// `ChatEngine.prepare` from the model's template; `.plain` is raw text.
public struct OutputSpec: Sendable, Equatable {
    public var reasoning: ReasoningFormat
    /// The prompt already opened the reasoning: output starts inside it.
    public var startsInReasoning: Bool
    /// Reasoning tokens after which the engine closes the reasoning itself.
    public var reasoningBudget: Int?
    /// nil when no tools were offered.
    public var toolFormat: ToolCallFormat?
    public var tools: [ChatTool]

    public init(reasoning: ReasoningFormat = .none, startsInReasoning: Bool = false, reasoningBudget: Int? = nil,
                toolFormat: ToolCallFormat? = nil, tools: [ChatTool] = []) {
        self.reasoning = reasoning
        self.startsInReasoning = startsInReasoning
        self.reasoningBudget = reasoningBudget
        self.toolFormat = toolFormat
        self.tools = tools
    }

    public static let plain = OutputSpec()
}
