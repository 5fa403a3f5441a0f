import PendraEngine

/// POST /api/v1/models/{id}/load and /unload (owner only).
struct ModelAdminRoute {
    let app: PendraApp

    func load(_ ctx: RequestContext) async {
        let id = ctx.params["id"] ?? ""
        if app.children.contains(id) { return await loadChild(ctx, id) }
        do {
            try await app.store.load(id)
            ctx.sendJSON(JSON(["id": .string(id), "loaded": true]).bytes)
        } catch {
            ctx.fail(Self.error(error))
        }
    }

    func unload(_ ctx: RequestContext) async {
        let id = ctx.params["id"] ?? ""
        if app.children.contains(id) {
            let children = app.children
            let was = children.state(id)?.isReady ?? false
            await WorkQueue.run { children.stop(id) }
            return ctx.sendJSON(JSON(["id": .string(id), "loaded": false, "was_loaded": .bool(was)]).bytes)
        }
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

    /// A child-process model: start it now with a fresh retry budget.
    private func loadChild(_ ctx: RequestContext, _ id: String) async {
        let children = app.children
        let state = await WorkQueue.run { children.reload(id) }
        guard let state, state.isReady else {
            return ctx.fail(.workerError("The model '\(id)' could not be loaded: \(state?.reason ?? "unknown")"))
        }
        ctx.sendJSON(JSON(["id": .string(id), "loaded": true]).bytes)
    }

    /// On these routes an unknown id is a missing resource (404), not a bad field.
    private static func error(_ e: ModelStoreError) -> APIError {
        if case .unknownModel = e { return .notFound(e.description) }
        return .from(e)
    }
}
