/// Which dialect a route speaks. It decides the error envelope: one vocabulary
/// of errors (`APIError`), three ways of writing it down.
public enum APIFamily: String, Sendable, CaseIterable {
    /// Pendra's own routes: `{"detail": "..."}`.
    case pendra
    /// OpenAI-compatible routes: `{"error": {"message", "type", "param", "code"}}`.
    case openai
    /// Anthropic Messages routes: `{"type": "error", "error": {"type", "message"}, "request_id"}`.
    case anthropic
    /// Ollama-compatible routes (`/api/tags`, `/api/chat`, ...): `{"error": "..."}`.
    case ollama

    /// The family of a path that matched no route (for 404/405 envelopes):
    /// `/v1/messages` and below are Anthropic; the rest of `/v1/` and
    /// `/api/v1/{chat,embeddings,completions,models}` are OpenAI; the rest of
    /// `/api/` outside `/api/v1` is Ollama's; everything else is Pendra's own.
    /// A trailing slash is ignored.
    public static func forPath(_ path: String) -> APIFamily {
        let p = RoutePattern.normalize(path)
        // Both prefixes serve the Messages API (its routes are registered as
        // .anthropic), so a transport error there (413) uses its envelope too.
        for base in ["/v1/messages", "/api/v1/messages"] where p == base || p.hasPrefix(base + "/") { return .anthropic }
        if p == "/v1" || p.hasPrefix("/v1/") { return .openai }
        for area in ["chat", "embeddings", "completions", "models"] {
            let base = "/api/v1/" + area
            if p == base || p.hasPrefix(base + "/") { return .openai }
        }
        if p.hasPrefix("/api/") && p != "/api/v1" && !p.hasPrefix("/api/v1/") { return .ollama }
        return .pendra
    }
}
