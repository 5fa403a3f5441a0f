/// The Ollama-compatible routes and llama-server's utility routes, beside
/// the core table in PendraApp.
extension PendraApp {
    typealias Wrap = (@escaping @Sendable (PendraApp, RequestContext) async -> Void) -> RouteHandler

    static func ollamaRoutes(into r: inout Router, _ h: Wrap) {
        r.add("GET", "/api/version", family: .ollama, auth: .public, handler: h { await OllamaModelsRoute(app: $0).version($1) })
        r.add("GET", "/api/tags", family: .ollama, auth: .member, handler: h { await OllamaModelsRoute(app: $0).tags($1) })
        r.add("GET", "/api/ps", family: .ollama, auth: .member, handler: h { await OllamaModelsRoute(app: $0).ps($1) })
        r.add("POST", "/api/show", family: .ollama, auth: .member, handler: h { await OllamaModelsRoute(app: $0).show($1) })
        r.add("POST", "/api/chat", family: .ollama, auth: .member, rateLimited: true,
              handler: h { await OllamaChatRoute(app: $0).chat($1) })
        r.add("POST", "/api/generate", family: .ollama, auth: .member, rateLimited: true,
              handler: h { await OllamaChatRoute(app: $0).generate($1) })
        r.add("POST", "/api/embed", family: .ollama, auth: .member, rateLimited: true,
              handler: h { await OllamaEmbedRoute(app: $0).embed($1) })
        r.add("POST", "/api/embeddings", family: .ollama, auth: .member, rateLimited: true,
              handler: h { await OllamaEmbedRoute(app: $0).embeddings($1) })
        for (method, path) in [("POST", "/api/pull"), ("POST", "/api/push"), ("POST", "/api/create"),
                               ("POST", "/api/copy"), ("DELETE", "/api/delete"), ("POST", "/api/blobs/{digest}")] {
            r.add(method, path, family: .ollama, auth: .member, handler: h { await OllamaUnsupportedRoute(app: $0).refuse($1) })
        }
        r.add("HEAD", "/api/blobs/{digest}", family: .ollama, auth: .member,
              handler: h { await OllamaUnsupportedRoute(app: $0).blobProbe($1) })
    }

    static func llamaServerRoutes(into r: inout Router, _ h: Wrap) {
        r.add("POST", "/tokenize", family: .openai, auth: .member, handler: h { await TokenizeRoute(app: $0).tokenize($1) })
        r.add("POST", "/detokenize", family: .openai, auth: .member, handler: h { await TokenizeRoute(app: $0).detokenize($1) })
        r.add("POST", "/apply-template", family: .openai, auth: .member, handler: h { await TokenizeRoute(app: $0).applyTemplate($1) })
        for path in ["/v1/rerank", "/rerank"] {
            r.add("POST", path, family: .openai, auth: .member, rateLimited: true,
                  handler: h { await RerankRoute(app: $0).handle($1) })
        }
    }
}
