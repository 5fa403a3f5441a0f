import PendraEngine

/// GET /api/v1/catalogue: public. Every configured model, loaded or not,
/// described from its GGUF header (weights never read).
struct CatalogueRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let data: [JSON] = app.store.config.models.map { m in
            let info = app.store.info[m.id]
            var variant = JSONObject()
            variant["id"] = .string(m.id)
            variant["quantization"] = info.map { .string($0.quantizationName) } ?? .null
            variant["size_bytes"] = info.map { .int(Int($0.fileSize)) } ?? .null
            var e = JSONObject()
            e["id"] = .string(m.id)
            e["name"] = .string(app.displayName(m))
            e["backend"] = "pendra"
            e["capability"] = .string(m.capability.rawValue)
            e["parameter_size"] = info.map { .string($0.parameterSizeLabel) } ?? .null
            e["context_length"] = .int(app.contextLength(m))
            e["licence"] = (m.licence ?? info?.license).map { .string($0) } ?? .null
            e["architecture"] = info?.architecture.map { .string($0) } ?? .null
            e["loaded"] = .bool(app.store.isLoaded(m.id))
            e["variants"] = [.object(variant)]
            return .object(e)
        }
        ctx.sendJSON(JSON(["data": .array(data)]).bytes)
    }
}
