/// One error vocabulary for every route. An `APIError` knows its HTTP status
/// and renders its own body in the envelope of the route's `APIFamily`
/// (see `APIError+Envelope.swift`).
///
/// `message` is shown to clients: never put a secret (API key, body) in it.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    /// OpenAI `error.type`; nil picks the type from the status.
    public var openAIType: String?
    /// OpenAI `error.param`, e.g. `"messages"` for a bad field.
    public var param: String?
    /// OpenAI `error.code`; nil picks the code from the status (often null).
    public var code: String?
    /// Whole seconds for the `Retry-After` header (429/503).
    public var retryAfter: Int?
    /// Extra response headers (e.g. `Allow` on 405).
    public var headers: [String: String]

    public init(status: Int, message: String, openAIType: String? = nil, param: String? = nil,
                code: String? = nil, retryAfter: Int? = nil, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.openAIType = openAIType
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
        self.headers = headers
    }
}

// MARK: - Common cases

extension APIError {
    /// 400: malformed JSON, unknown model, invalid field (`param` names it).
    public static func badRequest(_ message: String, param: String? = nil) -> APIError {
        APIError(status: 400, message: message, param: param)
    }

    /// 401: no key was sent. OpenAI answers this with a null `code`.
    public static func missingAPIKey() -> APIError {
        APIError(status: 401, message: "Missing API key", openAIType: "invalid_request_error")
    }

    /// 401: a key was sent but is not known. Never echo the key.
    public static func unauthorized(_ message: String = "Invalid API key") -> APIError {
        APIError(status: 401, message: message, openAIType: "invalid_request_error",
                 code: "invalid_api_key")
    }

    /// 403: authenticated, not allowed (e.g. owner-only route called by a member).
    public static func forbidden(_ message: String = "This operation requires an owner API key") -> APIError {
        APIError(status: 403, message: message)
    }

    /// 404 for an unknown route (`route` is the path as requested).
    public static func notFound(route: String) -> APIError {
        APIError(status: 404, message: "Not found: \(route)")
    }

    /// 404 for an unknown resource, with a message of the caller's choosing.
    public static func notFound(_ message: String) -> APIError {
        APIError(status: 404, message: message)
    }

    /// 405 with an `Allow` header listing the methods the path accepts.
    public static func methodNotAllowed(allow: [String]) -> APIError {
        let list = allow.joined(separator: ", ")
        return APIError(status: 405, message: "Method not allowed; allowed: \(list)",
                        headers: ["Allow": list])
    }

    /// 413: body larger than `limit` bytes (when known).
    public static func tooLarge(limit: Int? = nil) -> APIError {
        let message = limit.map { "Request body too large (limit \($0) bytes)" } ?? "Request body too large"
        return APIError(status: 413, message: message)
    }

    /// 415: e.g. raw text completions on the in-process backend.
    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(status: 415, message: message)
    }

    /// 429 naming the bucket (e.g. "requests per minute (60)") and, when
    /// known, the organisation; `Retry-After` is at least one second.
    public static func rateLimited(bucket: String, organisation: String? = nil, retryAfter: Int) -> APIError {
        let whose = organisation.map { " for organisation '\($0)'" } ?? ""
        return APIError(status: 429, message: "Rate limit exceeded\(whose): \(bucket)",
                        retryAfter: max(1, retryAfter))
    }

    /// 500: a bug or an unexpected state. Keep `message` free of internals.
    public static func `internal`(_ message: String = "Internal server error") -> APIError {
        APIError(status: 500, message: message)
    }

    /// 502: the worker that took the request failed.
    public static func workerError(_ message: String = "The worker failed to process the request") -> APIError {
        APIError(status: 502, message: message)
    }

    /// 503: queue full or model loading; clients retry after `retryAfter`.
    public static func overloaded(_ message: String = "Server overloaded, retry later", retryAfter: Int? = nil) -> APIError {
        APIError(status: 503, message: message, retryAfter: retryAfter.map { max(1, $0) })
    }

    /// 504: generation or embedding took longer than allowed.
    public static func timeout(_ message: String = "Request timed out") -> APIError {
        APIError(status: 504, message: message)
    }
}
