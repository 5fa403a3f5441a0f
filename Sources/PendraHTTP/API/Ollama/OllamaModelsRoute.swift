import Foundation
import PendraEngine

/// GET /api/tags, POST /api/show, GET /api/ps, GET /api/version: the model
/// endpoints Ollama clients list and inspect models with.
struct OllamaModelsRoute {
    let app: PendraApp
    var facts: OllamaModelFacts { OllamaModelFacts(app: app) }

    /// The Ollama release whose API these routes follow (clients compare it
    /// to decide which fields to send).
    static let compatibleVersion = "0.12.6"

    /// How long a listing waits for digests still being hashed at start-up.
    static let digestWait = 2.0

    /// Every configured model, loaded or on demand.
    func tags(_ ctx: RequestContext) async {
        let models = app.store.config.models
        let digests = await app.digests.digests(models.map(\.id), within: Self.digestWait)
        let list = models.map { facts.tag($0, digest: digests[$0.id]) }
        ctx.sendJSON(JSON(["models": .array(list)]).bytes)
    }

    func show(_ ctx: RequestContext) async {
        do throws(APIError) {
            let body = try await RequestBody.read(ctx.request)
            // `name` is the older spelling some clients still send.
            let name = try body.string("name")
            guard let id = try body.string("model") ?? name else { throw body.missing("model") }
            let m = try OllamaModels.entry(app, id)
            let verbose = try body.bool("verbose") ?? false
            var o = JSONObject()
            o["license"] = (m.licence ?? app.store.info[m.id]?.license).map { .string($0) } ?? ""
            o["modelfile"] = .string("# Served by Pendra from its config; Modelfiles are not used.\nFROM \(m.path)\n")
            o["parameters"] = .string(facts.parameters(m))
            // The model's own Jinja chat template (Ollama would show a Go template).
            o["template"] = .string(app.store.info[m.id]?.chatTemplate ?? "")
            o["details"] = facts.details(m)
            o["model_info"] = facts.modelInfo(m, verbose: verbose)
            o["capabilities"] = .array(facts.capabilities(m).map { .string($0) })
            o["modified_at"] = .string(facts.modifiedAt(m))
            ctx.sendJSON(JSON.object(o).bytes)
        } catch {
            ctx.fail(error)
        }
    }

    /// Loaded models. `expires_at` follows the config's keep-alive for
    /// on-demand models; preloaded ones never expire (Ollama's keep_alive -1).
    func ps(_ ctx: RequestContext) async {
        var models: [JSON] = []
        let keep = app.store.config.keepAliveSeconds
        let loaded = app.store.loadedModels
        let digests = await app.digests.digests(loaded.map(\.id), within: Self.digestWait)
        for l in loaded {
            guard let m = app.store.config.model(l.id) else { continue }
            let expires = !m.preload && keep > 0
                ? l.lastUsed.timeIntervalSince1970 + keep
                : Date().timeIntervalSince1970 + 292 * 365 * 86_400
            let size = Int(l.bytes)
            var o = JSONObject()
            o["name"] = .string(m.id)
            o["model"] = .string(m.id)
            o["size"] = .int(size)
            o["digest"] = .string(digests[m.id] ?? "")
            o["details"] = facts.details(m)
            o["expires_at"] = .string(OllamaModelFacts.timestamp(expires))
            o["size_vram"] = .int(LlamaBackend.hasGPUDevice && m.gpuLayers != 0 ? size : 0)
            o["context_length"] = .int(OllamaModels.contextLength(l.engine))
            models.append(.object(o))
        }
        ctx.sendJSON(JSON(["models": .array(models)]).bytes)
    }

    func version(_ ctx: RequestContext) async {
        ctx.sendJSON(JSON(["version": .string(Self.compatibleVersion)]).bytes)
    }
}

/// Model lookups shared by the Ollama routes.
enum OllamaModels {
    /// A configured model by id; Ollama answers an unknown one with 404.
    static func entry(_ app: PendraApp, _ id: String) throws(APIError) -> ModelEntry {
        let resolved = app.resolveModel(id)
        guard let m = app.store.config.model(resolved) else {
            throw .from(ModelStoreError.unknownModel(id, valid: app.store.ids), family: .ollama)
        }
        return m
    }

    /// The context the loaded engine runs with (an embedding model's input limit).
    static func contextLength(_ engine: ModelStore.Engine) -> Int {
        switch engine {
        case .chat(let e): e.contextSize
        case .embedding(let e): e.maxInputTokens
        }
    }
}
