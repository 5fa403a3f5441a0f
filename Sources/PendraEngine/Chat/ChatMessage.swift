/// One tool call an assistant made (or is making).
public struct ChatToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The arguments as JSON text (OpenAI's wire form).
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A message of the one internal chat request both API dialects translate to.
public struct ChatMessage: Sendable, Equatable {
    /// system, developer, user, assistant or tool.
    public var role: String
    public var content: String
    public var toolCalls: [ChatToolCall]
    /// For role "tool": which call this answers.
    public var toolCallID: String?
    /// For role "tool": the function's name, when known.
    public var name: String?
    /// For role "assistant": the reasoning it wrote before `content`, sent
    /// back by the client (rendered where the template takes it).
    public var reasoning: String?

    public init(role: String, content: String, toolCalls: [ChatToolCall] = [], toolCallID: String? = nil, name: String? = nil,
                reasoning: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
        self.reasoning = reasoning
    }
}

/// A tool the model may call, in OpenAI's function form.
public struct ChatTool: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// JSON Schema of the arguments.
    public var parameters: JSON

    public init(name: String, description: String?, parameters: JSON) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// `{"type":"function","function":{...}}`, as templates and OpenAI expect.
    public var openAIShape: JSON {
        var f = JSONObject()
        f["name"] = .string(name)
        if let description { f["description"] = .string(description) }
        f["parameters"] = parameters
        return ["type": "function", "function": .object(f)]
    }
}

public enum ToolChoice: Sendable, Equatable {
    /// The model decides.
    case auto
    /// No tool calls: tools are not offered to the model.
    case none
    /// At least one call, of any tool.
    case required
    /// A call of this tool.
    case named(String)

    /// Whether the reply must be a call (the grammar forces one).
    public var forcesCall: Bool {
        switch self {
        case .required, .named: true
        case .auto, .none: false
        }
    }
}

/// Constrained output.
public enum ResponseFormat: Sendable, Equatable {
    case text
    case jsonObject
    case jsonSchema(JSON)
}

/// The one internal chat request. OpenAI chat completions and Anthropic
/// messages are translations onto this at the edge.
public struct ChatRequest: Sendable {
    public var model: String
    public var messages: [ChatMessage]
    public var tools: [ChatTool]
    public var toolChoice: ToolChoice
    public var responseFormat: ResponseFormat
    public var sampling: SamplingParameters
    public var maxTokens: Int?
    public var stop: [String]
    public var ignoreEOS: Bool
    /// Reasoning on, off, or the template's default, and its token budget.
    public var reasoning: ReasoningMode = .auto
    /// OpenAI's reasoning_effort ("low", "medium", "high", ...), passed to
    /// templates that read it (gpt-oss).
    public var reasoningEffort: String?
    /// chat_template_kwargs: extra variables for the template (enable_thinking, ...).
    public var templateKwargs: JSONObject = JSONObject()
    /// False opts this request out of the model's speculative decoding
    /// (Pendra's `speculative` field).
    public var speculative = true

    public init(model: String, messages: [ChatMessage], tools: [ChatTool] = [], toolChoice: ToolChoice = .auto,
                responseFormat: ResponseFormat = .text, sampling: SamplingParameters = SamplingParameters(),
                maxTokens: Int? = nil, stop: [String] = [], ignoreEOS: Bool = false) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.ignoreEOS = ignoreEOS
    }
}
