import PendraEngine

/// GET /health, for load balancers: 200 while this worker serves (status
/// `ready`, or `degraded` when some models are down), 503 with Retry-After
/// while it loads, drains after SIGTERM, or has no model able to serve.
/// The body says which models are ready (`ready_models`) and each one's state.
struct HealthRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let statuses = app.store.config.models.map { app.status(of: $0) }
        let verdict = HealthReport.verdict(phase: app.lifecycle.phase, models: statuses)
        let models: [JSON] = zip(app.store.config.models, statuses).map { m, st in
            var o = JSONObject()
            o["id"] = .string(m.id)
            o["capability"] = .string(m.capability.rawValue)
            o["state"] = .string(st.state)
            o["ready"] = .bool(st.state == "ready")
            o["loaded"] = .bool(app.store.isLoaded(m.id) || st.state == "ready")
            if let r = st.reason { o["reason"] = .string(r) }
            if !m.rpcServers.isEmpty { o["rpc_servers"] = .array(m.rpcServers.map { .string($0.description) }) }
            if let n = app.children.requestsInFlight(m.id) { o["requests_in_flight"] = .int(n) }
            if case .chat(let e)? = app.store.engineIfLoaded(m.id) {
                let s = e.snapshot
                o["running"] = .int(s.running)
                o["waiting"] = .int(s.waiting)
                o["kv_cells_used"] = .int(s.kvCellsUsed)
                o["kv_cells_total"] = .int(s.kvCellsTotal)
            }
            return .object(o)
        }
        let ready = zip(app.store.config.models, statuses).filter { $0.1.state == "ready" }.map { JSON.string($0.0.id) }
        let body: JSON = ["status": .string(verdict.status), "worker_id": .string(app.worker.id),
                          "worker_name": .string(app.worker.name), "ready_models": .array(ready), "models": .array(models)]
        var headers = HTTPHeaders()
        if let r = verdict.retryAfter { headers.set("Retry-After", String(r)) }
        ctx.sendJSON(body.bytes, status: verdict.httpStatus, headers: headers)
    }
}
