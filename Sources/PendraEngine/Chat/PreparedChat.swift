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
        var sampling = request.sampling.filling(defaults)
        var toolFormat: ToolCallFormat?
        if !tools.isEmpty {
            // A template without a known tool-call syntax still gets parseable
            // calls: Hermes-style tags are the most widely understood.
            let detected = ToolCallFormat.detect(chatTemplate: template.source)
            toolFormat = detected == .none ? .hermes : detected
        }
        let generatesGrammar = sampling.grammar == nil
        if generatesGrammar {
            sampling.grammar = try Self.grammar(toolChoice: request.toolChoice, tools: tools, format: toolFormat,
                                                responseFormat: request.responseFormat)
        }
        let detected = ReasoningFormat.detect(chatTemplate: template.source)
        // Harmony output is always channels, whatever the reasoning mode.
        var reasoning = request.reasoning == .disabled && detected != .harmony ? .none : detected
        let variables = Self.templateVariables(request)
        var text: String
        let rendered: [ChatMessage]
        do {
            // A shape the template raises on is reshaped (ConversationReshaper).
            let r = try ConversationReshaper.firstRendering(of: messages) { (m) throws(ChatTemplateError) in
                try template.render(messages: m, tools: tools, addGenerationPrompt: true, variables: variables)
            }
            text = r.text + prefill
            rendered = r.messages
        } catch {
            throw .invalidRequest(error.description)
        }
        var opens = reasoning.promptOpensReasoning(text)
        // Under a grammar Pendra made (json_schema, a forced call) a reasoning
        // model still reasons first, unless reasoning is off or the prompt
        // already closed it: the grammar then starts with the reasoning.
        var reasonsFirst = false
        if generatesGrammar, let answer = sampling.grammar, request.reasoning != .disabled,
           !detected.promptClosesReasoning(text) {
            let forcedCall = toolFormat != nil && request.toolChoice.forcesCall
            let wrapped = ReasoningGrammar.reasoningFirst(
                detected == .harmony && !forcedCall ? ReasoningGrammar.harmonyFinal(answer) : answer,
                format: detected, opened: opens)
            if let wrapped {
                sampling.grammar = wrapped
                reasonsFirst = true
            }
        }
        // A template that opens the reasoning whatever it is told (DeepSeek-R1)
        // is closed here when reasoning is off; under a grammar that does not
        // start with the reasoning too (a client's own GBNF).
        if opens, request.reasoning == .disabled || (sampling.grammar != nil && !reasonsFirst),
           let close = detected.closeTag {
            text += close + "\n\n"
            opens = false
            reasoning = .none
        }
        var budget: Int?
        if case .enabled(let b) = request.reasoning { budget = b }
        let output = OutputSpec(reasoning: sampling.grammar == nil || reasoning == .harmony || reasonsFirst ? reasoning : .none, startsInReasoning: opens,
                                reasoningBudget: budget, toolFormat: toolFormat, tools: tools)
        let tokens = tokenizePrompt(text)
        let checkpoint = prefill.isEmpty
            ? generationPromptStart(rendered, tools: tools, variables: variables, prompt: tokens) : nil
        let gen = GenerationRequest(prompt: tokens, sampling: sampling, maxTokens: request.maxTokens ?? defaults.maxTokens,
                                    stop: request.stop.isEmpty ? defaults.stop ?? [] : request.stop,
                                    ignoreEOS: request.ignoreEOS, output: output, checkpointAt: checkpoint)
        var generation = gen
        generation.speculative = request.speculative
        return PreparedChat(prompt: escaper.restore(text), tokens: tokens, generation: generation, toolFormat: toolFormat, tools: tools)
    }

    /// Recurrent memory only: where the generation prompt starts, the last
    /// point the next turn's prompt shares with this one when the template
    /// re-renders the reply differently (Qwen 3.5 drops the `<think>` its
    /// generation prompt opened). The engine keeps a state checkpoint there.
    func generationPromptStart(_ messages: [ChatMessage], tools: [ChatTool], variables: JSONObject,
                               prompt: [Token]) -> Int? {
        guard memory == .recurrent,
              let closed = try? template.render(messages: messages, tools: tools, addGenerationPrompt: false,
                                                variables: variables) else { return nil }
        let n = PrefixPolicy.commonPrefix(tokenizePrompt(closed), prompt)
        return n > 0 && n < prompt.count ? n : nil
    }

    /// The template variables a request sets: `enable_thinking` from its
    /// reasoning mode (Qwen3, SmolLM3, GLM and DeepSeek-V3.1 read it, the
    /// last as `thinking`), `reasoning_effort` (gpt-oss), then the client's
    /// own chat_template_kwargs, which win.
    static func templateVariables(_ request: ChatRequest) -> JSONObject {
        var v = JSONObject()
        switch request.reasoning {
        case .enabled: v["enable_thinking"] = true; v["thinking"] = true
        case .disabled: v["enable_thinking"] = false; v["thinking"] = false
        case .auto: break
        }
        if let e = request.reasoningEffort { v["reasoning_effort"] = .string(e) }
        for (k, value) in request.templateKwargs { v[k] = value }
        return v
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
