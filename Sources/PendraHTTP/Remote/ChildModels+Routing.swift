import Foundation
import PendraEngine

/// Which requests go to a child: those naming a child-process model in
/// their body, on the routes that take a `model`.
extension ChildModels {
    static let modelRoutes: Set<String> = {
        var s: Set<String> = ["/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/api/show",
                              "/v1/rerank", "/rerank", "/tokenize", "/detokenize", "/apply-template"]
        for p in ["/v1", "/api/v1"] {
            for r in ["/chat/completions", "/responses", "/messages", "/messages/count_tokens", "/embeddings"] { s.insert(p + r) }
        }
        return s
    }()

    /// The `model` (Ollama's `/api/show` also takes `name`) of a JSON body.
    static func requestedModel(_ body: [UInt8]) -> String? {
        guard let o = (try? JSON.parse(body))?.object else { return nil }
        return o["model"]?.string ?? o["name"]?.string
    }

    /// Whether `body` may name a child model: it holds one's id as a JSON
    /// string, or a `claude-` name when the default model (what those
    /// resolve to) is a child. A byte search, so the requests of local
    /// models are not parsed here as well as by their route. (An id
    /// written with JSON escapes is not seen: clients send ids as is.)
    func mayNameChild(_ body: [UInt8], defaultModel: String?) -> Bool {
        if let d = defaultModel, byID[d] != nil, Self.contains(body, Array("\"claude-".utf8)) { return true }
        return ids.contains { Self.contains(body, Array("\"\($0)\"".utf8)) }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                while i + n.count <= h.count {
                    if h[i] == n[0] {
                        var j = 1
                        while j < n.count, h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// Relays `ctx` to its child when it names a child-process model, and
    /// says whether it did; false leaves the request to the local handler.
    /// Costs nothing when no model runs in a child, and a byte search when
    /// the body names none; `parse` (a test's seam) reads the model.
    func relayIfChild(_ ctx: RequestContext, defaultModel: String?, resolve: (String) -> String,
                      parse: @escaping @Sendable ([UInt8]) -> String? = ChildModels.requestedModel) async -> Bool {
        guard !isEmpty, ctx.request.method == "POST",
              Self.modelRoutes.contains(RoutePattern.normalize(ctx.request.path)) else { return false }
        let body = ctx.request.body
        guard mayNameChild(body, defaultModel: defaultModel) else { return false }
        guard let asked = await WorkQueue.run({ parse(body) }) else { return false }
        let id = resolve(asked)
        guard let child = byID[id] else { return false }
        var state = child.state
        if state == .stopped { state = await WorkQueue.run { child.reload() } }
        if case .starting = state { state = await settle(child) }
        guard case .ready(let port, _) = state else {
            let reason = state.reason ?? "it is still loading"
            let wait = { if case .unavailable(_, let r?) = state { return Int(r.rounded(.up)) }; return 5 }()
            ctx.fail(.overloaded("The model '\(id)' is unavailable: \(reason); retry later or on another worker", retryAfter: wait))
            return true
        }
        let relay = ChildRelay(model: id, port: port, secret: secret, timeout: relayTimeout, ctx: ctx)
        child.relayStarted()
        defer { child.relayEnded() }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let t = Thread {
                relay.run()
                c.resume()
            }
            t.name = "pendra-relay"
            t.start()
        }
        return true
    }

    /// Waits (up to 30 s) for a starting child to be ready or fail.
    private func settle(_ child: ChildModel) async -> ChildModelState {
        for _ in 0..<300 {
            let s = child.state
            if case .starting = s { try? await Task.sleep(nanoseconds: 100_000_000); continue }
            return s
        }
        return child.state
    }
}
