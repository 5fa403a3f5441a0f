import Foundation
import PendraEngine

/// GET /v1/models and /api/v1/models (and /models/{id}): the models this worker serves, in one
/// shape that OpenAI and Anthropic clients both accept (CLIENTS.md), or
/// Codex's `{"models": [...]}` when it sends `client_version`.
struct ModelsRoute {
    let app: PendraApp

    static let capabilities = ["chat", "embedding", "rerank", "image", "ocr", "transcription"]

    func handle(_ ctx: RequestContext) async {
        let q = ctx.request.query
        var entries = app.store.config.models
        if let type = q["type"] {
            guard Self.capabilities.contains(type) else {
                ctx.fail(.badRequest("Unknown type '\(type)'; use one of \(Self.capabilities.joined(separator: ", "))", param: "type"))
                return
            }
            entries = entries.filter { $0.capability.rawValue == type }
        }
        if q["client_version"] != nil {
            ctx.sendJSON(codex(entries.filter { $0.capability == .chat }).bytes)
            return
        }
        let data = entries.map(entry)
        var list = JSONObject()
        list["object"] = "list"
        list["data"] = .array(data)
        list["has_more"] = false
        list["first_id"] = entries.first.map { .string($0.id) } ?? .null
        list["last_id"] = entries.last.map { .string($0.id) } ?? .null
        ctx.sendJSON(JSON.object(list).bytes)
    }

    /// GET /v1/models/{id}: one entry (`client.models.retrieve`), or a 404
    /// naming the served ids.
    func retrieve(_ ctx: RequestContext) async {
        let id = ctx.params["id"] ?? ""
        let models = app.store.config.models
        guard let m = models.first(where: { $0.id == id }) else {
            let known = models.map(\.id).joined(separator: ", ")
            return ctx.fail(APIError(status: 404, message: "The model '\(id)' does not exist; this worker serves: \(known)",
                                     param: "model", code: "model_not_found"))
        }
        ctx.sendJSON(entry(m).bytes)
    }

    private func entry(_ m: ModelEntry) -> JSON {
        let created = app.createdTime(m.id)
        let status = app.status(of: m)
        var o: JSONObject = [
            "id": .string(m.id),
            "object": "model",
            "created": .int(created),
            "owned_by": "pendra",
            "type": "model",
            "display_name": .string(app.displayName(m)),
            "created_at": .string(Self.rfc3339(created)),
            // False while a child-process model is down (its rpc-server died).
            "available": .bool(status.available),
        ]
        if !status.available { o["unavailable_reason"] = .string(status.reason ?? status.state) }
        return .object(o)
    }

    /// Codex rejects a list whose entries lack any of its required fields.
    private func codex(_ entries: [ModelEntry]) -> JSON {
        let models: [JSON] = entries.enumerated().map { i, m in
            let ctxLen = app.contextLength(m)
            return [
                "slug": .string(m.id),
                "display_name": .string(app.displayName(m)),
                "description": .string("\(app.displayName(m)) served locally by Pendra"),
                "supported_reasoning_levels": [],
                "shell_type": "shell_command",
                "visibility": "list",
                "supported_in_api": true,
                "priority": .int(i),
                "base_instructions": "",
                "supports_reasoning_summaries": false,
                "support_verbosity": false,
                "truncation_policy": ["mode": "tokens", "limit": .int(ctxLen)],
                "supports_parallel_tool_calls": false,
                "experimental_supported_tools": [],
                "context_window": .int(ctxLen),
                "input_modalities": ["text"],
            ]
        }
        return ["models": .array(models)]
    }

    static func rfc3339(_ seconds: Int) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
