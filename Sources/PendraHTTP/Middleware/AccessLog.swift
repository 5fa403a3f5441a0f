import PendraEngine

/// What the access log records about one request. Deliberately holds no
/// headers: keys cannot reach the log through it.
public struct AccessLogEntry: Sendable {
    public var method: String
    public var path: String
    public var status: Int
    public var durationMs: Double
    public var requestId: String
    public var model: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    /// Only written when the access log's `logBodies` is on.
    public var requestBody: [UInt8]?
    public var responseBody: [UInt8]?

    public init(method: String, path: String, status: Int, durationMs: Double, requestId: String,
                model: String? = nil, promptTokens: Int? = nil, completionTokens: Int? = nil,
                requestBody: [UInt8]? = nil, responseBody: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.status = status
        self.durationMs = durationMs
        self.requestId = requestId
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.requestBody = requestBody
        self.responseBody = responseBody
    }
}

/// One logfmt line per request through `Log` at info level:
///
///     method=POST path=/v1/chat/completions status=200 duration_ms=812.4 request_id=req_… model=llama-3 prompt_tokens=31 completion_tokens=64
///
/// The path loses its query string (it may carry secrets) and every value is
/// quoted and escaped when it has spaces, quotes or control characters, so a
/// client cannot forge a line. Bodies are logged only with `logBodies` (a
/// debug switch), truncated to `bodyLimit` bytes.
public struct AccessLog: Sendable {
    public var logBodies: Bool
    public var bodyLimit: Int

    public init(logBodies: Bool = false, bodyLimit: Int = 4096) {
        self.logBodies = logBodies
        self.bodyLimit = bodyLimit
    }

    public func record(_ entry: AccessLogEntry) {
        Log.write(level: .info, message: line(entry))
    }

    public func line(_ entry: AccessLogEntry) -> String {
        var path = Substring(entry.path)
        if let q = path.firstIndex(of: "?") { path = path[..<q] }
        var fields: [(String, String)] = [
            ("method", entry.method), ("path", String(path)), ("status", String(entry.status)),
            ("duration_ms", AccessLog.milliseconds(entry.durationMs)), ("request_id", entry.requestId),
        ]
        if let model = entry.model { fields.append(("model", model)) }
        if let p = entry.promptTokens { fields.append(("prompt_tokens", String(p))) }
        if let c = entry.completionTokens { fields.append(("completion_tokens", String(c))) }
        if logBodies {
            if let body = entry.requestBody { fields.append(("request_body", clip(body))) }
            if let body = entry.responseBody { fields.append(("response_body", clip(body))) }
        }
        return fields.map { "\($0.0)=\(AccessLog.quoteIfNeeded($0.1))" }.joined(separator: " ")
    }

    private func clip(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(bodyLimit), as: UTF8.self)
        return body.count > bodyLimit ? text + "…(\(body.count) bytes)" : text
    }

    static func milliseconds(_ ms: Double) -> String {
        guard ms.isFinite, ms >= 0 else { return "0.0" }
        let tenths = Int64((ms * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Bare when safe, else a double-quoted string with `\`, `"` and control
    /// characters escaped.
    static func quoteIfNeeded(_ value: String) -> String {
        let safe = !value.isEmpty && value.unicodeScalars.allSatisfy {
            $0.value > 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "\\" && $0 != "="
        }
        return safe ? value : cQuoted(value)
    }
}
