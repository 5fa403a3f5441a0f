import PendraEngine

/// GET /health: liveness, and which models are ready.
struct HealthRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let models: [JSON] = app.store.config.models.map { m in
            var o = JSONObject()
            o["id"] = .string(m.id)
            o["capability"] = .string(m.capability.rawValue)
            o["loaded"] = .bool(app.store.isLoaded(m.id))
            if case .chat(let e)? = app.store.engineIfLoaded(m.id) {
                let s = e.snapshot
                o["running"] = .int(s.running)
                o["waiting"] = .int(s.waiting)
                o["kv_cells_used"] = .int(s.kvCellsUsed)
                o["kv_cells_total"] = .int(s.kvCellsTotal)
            }
            return .object(o)
        }
        let body: JSON = ["status": "ok", "worker_id": .string(app.worker.id),
                          "worker_name": .string(app.worker.name), "models": .array(models)]
        ctx.sendJSON(body.bytes)
    }
}
