import PendraEngine

// Rendering an APIError in each family's envelope. Key order is fixed so the
// bodies are byte-for-byte predictable (and testable).

extension APIError {
    /// The whole response: JSON body in `family`'s envelope, `Content-Type`,
    /// `X-Request-Id`, `Retry-After` when set, and any extra headers.
    public func response(family: APIFamily, requestId: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/json")
        if !requestId.isEmpty { headers.set("X-Request-Id", requestId) }
        if let retryAfter { headers.set("Retry-After", String(max(1, retryAfter))) }
        for name in self.headers.keys.sorted() { headers.set(name, self.headers[name]!) }
        return HTTPResponse(status: status, headers: headers, body: Array(body(family: family, requestId: requestId).utf8))
    }

    /// The JSON body alone (also what an `event: error` SSE frame carries).
    public func body(family: APIFamily, requestId: String) -> String {
        let msg = APIError.jsonString(message)
        switch family {
        case .pendra:
            return "{\"detail\":\(msg)}"
        case .openai:
            let type = APIError.jsonString(openAIType ?? APIError.openAIType(status: status))
            let param = param.map(APIError.jsonString) ?? "null"
            let code = (code ?? APIError.openAICode(status: status)).map(APIError.jsonString) ?? "null"
            return "{\"error\":{\"message\":\(msg),\"type\":\(type),\"param\":\(param),\"code\":\(code)}}"
        case .ollama:
            return "{\"error\":\(msg)}"
        case .anthropic:
            let type = APIError.jsonString(APIError.anthropicType(status: status))
            let rid = requestId.isEmpty ? "" : ",\"request_id\":\(APIError.jsonString(requestId))"
            return "{\"type\":\"error\",\"error\":{\"type\":\(type),\"message\":\(msg)}\(rid)}"
        }
    }

    /// OpenAI `error.type` by status. The SDK only needs the envelope; the
    /// types follow what api.openai.com sends where it has a convention.
    public static func openAIType(status: Int) -> String {
        switch status {
        case 401: "invalid_request_error"   // with code "invalid_api_key", as OpenAI does
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 500, 502, 503, 504: "server_error"
        case 400..<500: "invalid_request_error"
        default: "server_error"
        }
    }

    /// OpenAI `error.code` by status when the error sets none.
    public static func openAICode(status: Int) -> String? {
        switch status {
        case 429: "rate_limit_exceeded"
        case 503: "overloaded"
        case 504: "timeout"
        default: nil
        }
    }

    /// Anthropic `error.type` by status, as the Anthropic API documents it.
    public static func anthropicType(status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 408, 504: "timeout_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 400..<500: "invalid_request_error"
        default: "api_error"
        }
    }

    /// A JSON string literal: the project's one escaper (PendraEngine's JSON).
    static func jsonString(_ s: String) -> String { JSON.quoted(s) }
}
