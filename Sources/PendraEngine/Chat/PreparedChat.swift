/// A chat request rendered and tokenized, ready to submit.
public struct PreparedChat: Sendable {
    public var prompt: String
    public var tokens: [Token]
    public var generation: GenerationRequest
}

extension ChatEngine {
    /// Renders with the model's template and tokenizes, on the caller's
    /// thread (both are thread-safe), so the engine thread only decodes.
    public func prepare(_ request: ChatRequest) throws(EngineError) -> PreparedChat {
        guard !request.messages.isEmpty else { throw .invalidRequest("messages must not be empty") }
        let tools = request.toolChoice == .none ? [] : request.tools
        let text: String
        do {
            text = try template.render(messages: request.messages, tools: tools, addGenerationPrompt: true)
        } catch {
            throw .invalidRequest(error.description)
        }
        let tokens = tokenizePrompt(text)
        var sampling = request.sampling
        if sampling.grammar == nil { sampling.grammar = try Self.grammar(for: request.responseFormat) }
        let gen = GenerationRequest(prompt: tokens, sampling: sampling, maxTokens: request.maxTokens,
                                    stop: request.stop, ignoreEOS: request.ignoreEOS)
        return PreparedChat(prompt: text, tokens: tokens, generation: gen)
    }

    /// Prepares and submits.
    public func generate(_ request: ChatRequest) throws(EngineError) -> (PreparedChat, GenerationStream) {
        let p = try prepare(request)
        return (p, try submit(p.generation))
    }

    /// Tokenizes a rendered prompt with exactly one BOS: templates that write
    /// `bos_token` themselves get none added on top.
    public func tokenizePrompt(_ text: String) -> [Token] {
        let bosText = model.tokenText(model.bos) ?? ""
        let templateAddsBOS = !bosText.isEmpty && text.hasPrefix(bosText)
        return model.tokenize(text, addSpecial: model.addsBOS && !templateAddsBOS, parseSpecial: true)
    }

    static func grammar(for format: ResponseFormat) throws(EngineError) -> String? {
        switch format {
        case .text: return nil
        case .jsonObject: return JSONGrammar.anyObject
        case .jsonSchema:
            throw .invalidRequest("response_format json_schema is not supported by this server yet; use json_object")
        }
    }
}
