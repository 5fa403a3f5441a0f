import PendraEngine

/// How engine and model-store failures look on the wire (seeds/001: 400 for
/// the caller's mistakes, 502 when the worker fails, 503 overloaded, 504 timeout).
extension APIError {
    static func from(_ e: EngineError) -> APIError {
        switch e {
        case .overloaded: .overloaded("Server overloaded: too many requests are waiting for this model; retry later", retryAfter: 1)
        case .promptTooLong(let t, let l):
            APIError(status: 400, message: "This model's context holds \(l) prompt tokens, but the prompt has \(t) tokens. Shorten the messages.",
                     param: "messages", code: "context_length_exceeded")
        case .emptyPrompt: .badRequest("The prompt is empty", param: "messages")
        case .inputTooLong(let i, let t, let l):
            APIError(status: 400, message: "Input \(i) has \(t) tokens, more than the model's limit of \(l)",
                     param: "input", code: "context_length_exceeded")
        case .invalidRequest(let m): .badRequest(m)
        case .shuttingDown: .overloaded("The model is shutting down; retry later", retryAfter: 1)
        case .backend(let m): .workerError(m)
        }
    }

    /// Any failure a route's body throws: its own API errors as they are,
    /// engine and model-store failures by the rules above, anything else 500.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError: e
        case let e as EngineError: from(e)
        case let e as ModelStoreError: from(e)
        default: .internal("\(error)")
        }
    }

    /// Anthropic answers an unknown model with 404 not_found_error, Ollama
    /// with 404 and its own wording (clients look for "not found"); OpenAI
    /// with 400 model_not_found.
    static func from(_ e: ModelStoreError, family: APIFamily) -> APIError {
        if case .unknownModel(let id, let valid) = e {
            switch family {
            case .anthropic: return .notFound(e.description)
            case .ollama: return .notFound("model '\(id)' not found; this server serves: \(valid.joined(separator: ", "))")
            default: break
            }
        }
        return from(e)
    }

    static func from(_ e: ModelStoreError) -> APIError {
        switch e {
        case .unknownModel: APIError(status: 400, message: e.description, param: "model", code: "model_not_found")
        case .wrongCapability: .badRequest(e.description, param: "model")
        case .notLoaded: .overloaded(e.description, retryAfter: 1)
        case .loadFailed: .workerError(e.description)
        case .loadTimedOut: .timeout(e.description)
        case .noMemory: .overloaded(e.description, retryAfter: 5)
        }
    }
}
