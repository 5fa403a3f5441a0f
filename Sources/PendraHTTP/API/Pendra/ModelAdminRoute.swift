import PendraEngine

/// POST /api/v1/models/{id}/load and /unload (owner only).
struct ModelAdminRoute {
    let app: PendraApp

    func load(_ ctx: RequestContext) async {
        let id = ctx.params["id"] ?? ""
        do {
            try await app.store.load(id)
            ctx.sendJSON(JSON(["id": .string(id), "loaded": true]).bytes)
        } catch {
            ctx.fail(Self.error(error))
        }
    }

    func unload(_ ctx: RequestContext) async {
        let id = ctx.params["id"] ?? ""
        do throws(APIError) {
            // Unloading waits for the engine thread to stop: not on the cooperative pool.
            let store = app.store
            let was = try await WorkQueue.run { () throws(APIError) in
                do throws(ModelStoreError) { return try store.unload(id) } catch { throw Self.error(error) }
            }
            ctx.sendJSON(JSON(["id": .string(id), "loaded": false, "was_loaded": .bool(was)]).bytes)
        } catch {
            ctx.fail(error)
        }
    }

    /// On these routes an unknown id is a missing resource (404), not a bad field.
    private static func error(_ e: ModelStoreError) -> APIError {
        if case .unknownModel = e { return .notFound(e.description) }
        return .from(e)
    }
}
