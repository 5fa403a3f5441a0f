import Foundation
import PendraEngine

/// GET /api/v1/dashboard: what the web page's dashboard polls. Member
/// keys (like /metrics) when keys are configured.
struct DashboardRoute {
    static let path = "/api/v1/dashboard"
    /// Requests listed; the ring holds more for a later, longer view.
    static let requestsShown = 50

    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        let activity = app.activity
        let body = DashboardFeed.json(
            time: Date().timeIntervalSince1970, uptime: activity.uptime, defaultModel: app.options.defaultModel,
            models: app.store.config.models.map(facts), interval: activity.throughput.interval,
            rates: activity.throughput.rates(), requests: activity.requests.last(Self.requestsShown))
        ctx.sendJSON(body.bytes, headers: ["Cache-Control": "no-store"])
    }

    /// The numbers /metrics renders for this model, read the same way.
    func facts(_ m: ModelEntry) -> DashboardFeed.ModelFacts {
        let store = app.store, metrics = app.metrics
        let memory = app.memory(of: m)
        // The status /health, /metrics and the models list share: a ready
        // child-process model is loaded, though not in this process's store.
        var f = DashboardFeed.ModelFacts(
            id: m.id, name: app.displayName(m), capability: m.capability.rawValue, loaded: app.status(of: m).state == "ready",
            preload: m.preload, memoryBytes: memory.totalBytes, memoryEstimated: memory.isEstimate)
        if case .chat(let e)? = store.engineIfLoaded(m.id) {
            let s = e.snapshot
            f.kvCellsUsed = s.kvCellsUsed
            f.kvCellsTotal = s.kvCellsTotal
            f.activeSequences = s.running
            f.queuedSequences = s.waiting
        }
        f.promptTokens = Int(metrics.promptTokens(model: m.id).value)
        f.promptTokensReused = Int(metrics.promptTokensReused(model: m.id).value)
        f.completionTokens = Int(metrics.completionTokens(model: m.id).value)
        return f
    }
}
