/// A chat request rendered and tokenized, ready to submit.
public struct PreparedChat: Sendable {
    public var prompt: String
    public var tokens: [Token]
    public var generation: GenerationRequest
    /// How the model writes tool calls, when tools were offered; nil otherwise.
    public var toolFormat: ToolCallFormat?
    public var tools: [ChatTool]
}

extension ChatEngine {
    /// Renders with the model's template and tokenizes, on the caller's
    /// thread (both are thread-safe), so the engine thread only decodes.
    public func prepare(_ request: ChatRequest) throws(EngineError) -> PreparedChat {
        guard !request.messages.isEmpty else { throw .invalidRequest("messages must not be empty") }
        // Client strings with control-token texts escaped (SpecialTextEscaper).
        let escaper = model.specialTextEscaper
        let tools = (request.toolChoice == .none ? [] : request.tools).map(escaper.escape)
        // A final assistant turn is a prefill to continue (Anthropic's
        // semantics): render the rest with the generation prompt and append
        // its text, instead of closing that turn and opening another.
        var messages = request.messages.map(escaper.escape)
        var prefill = ""
        if messages.count > 1, let last = messages.last, last.role == "assistant", last.toolCalls.isEmpty, !last.content.isEmpty {
            prefill = last.content
            messages.removeLast()
        }
        let text: String
        do {
            text = try template.render(messages: messages, tools: tools, addGenerationPrompt: true) + prefill
        } catch {
            throw .invalidRequest(error.description)
        }
        let tokens = tokenizePrompt(text)
        let prompt = escaper.restore(text)
        var toolFormat: ToolCallFormat?
        if !tools.isEmpty {
            // A template without a known tool-call syntax still gets parseable
            // calls: Hermes-style tags are the most widely understood.
            let detected = ToolCallFormat.detect(chatTemplate: template.source)
            toolFormat = detected == .none ? .hermes : detected
        }
        var sampling = request.sampling
        if sampling.grammar == nil {
            sampling.grammar = try Self.grammar(toolChoice: request.toolChoice, tools: tools, format: toolFormat,
                                                responseFormat: request.responseFormat)
        }
        let gen = GenerationRequest(prompt: tokens, sampling: sampling, maxTokens: request.maxTokens,
                                    stop: request.stop, ignoreEOS: request.ignoreEOS)
        return PreparedChat(prompt: prompt, tokens: tokens, generation: gen, toolFormat: toolFormat, tools: tools)
    }

    /// Prepares and submits.
    public func generate(_ request: ChatRequest) throws(EngineError) -> (PreparedChat, GenerationStream) {
        let p = try prepare(request)
        return (p, try submit(p.generation))
    }

    /// Tokenizes a rendered prompt with exactly one BOS: templates that write
    /// `bos_token` themselves get none added on top. Markup is parsed for
    /// control tokens; placeholders of escaped client text are not.
    public func tokenizePrompt(_ text: String) -> [Token] {
        let bosText = model.tokenText(model.bos) ?? ""
        let templateAddsBOS = !bosText.isEmpty && text.hasPrefix(bosText)
        var addBOS = model.addsBOS && !templateAddsBOS
        var tokens: [Token] = []
        for piece in model.specialTextEscaper.pieces(text) {
            switch piece {
            case .markup(let s): tokens += model.tokenize(s, addSpecial: addBOS, parseSpecial: true)
            case .text(let s): tokens += model.tokenize(s, addSpecial: addBOS, parseSpecial: false)
            }
            addBOS = false
        }
        return tokens
    }

    /// The grammar that constrains this request's output: a forced tool call
    /// (tool_choice required / named), else the response format's.
    static func grammar(toolChoice: ToolChoice, tools: [ChatTool], format: ToolCallFormat?,
                        responseFormat: ResponseFormat) throws(EngineError) -> String? {
        do {
            switch (toolChoice, format) {
            case (.required, let f?):
                return try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: f, forced: nil)
            case (.named(let name), let f?):
                return try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: f, forced: name)
            default:
                break
            }
            switch responseFormat {
            case .text: return nil
            case .jsonObject: return JSONGrammar.anyObject
            case .jsonSchema(let schema): return try JSONSchemaGrammar.gbnf(for: schema)
            }
        } catch {
            throw .invalidRequest("invalid JSON schema: \(error)")
        }
    }
}
