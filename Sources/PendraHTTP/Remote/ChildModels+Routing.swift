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

    /// Relays `ctx` to its child when it names a child-process model, and
    /// says whether it did; false leaves the request to the local handler.
    /// Costs nothing when no model runs in a child.
    func relayIfChild(_ ctx: RequestContext, resolve: (String) -> String) async -> Bool {
        guard !isEmpty, ctx.request.method == "POST",
              Self.modelRoutes.contains(RoutePattern.normalize(ctx.request.path)) else { return false }
        let body = ctx.request.body
        guard let asked = await WorkQueue.run({ Self.requestedModel(body) }) else { return false }
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
