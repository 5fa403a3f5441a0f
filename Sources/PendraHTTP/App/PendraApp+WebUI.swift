import Foundation

// The web page's routes, registered only when it is on (`server.webui`,
// `--no-webui`); off, `/` is a 404 like any unknown path.
extension PendraApp {
    static func webUIRoutes(into r: inout Router, app box: Unowned) {
        func h(_ body: @escaping @Sendable (PendraApp, RequestContext) async -> Void) -> RouteHandler {
            { ctx in if let app = box.app { await body(app, ctx) } }
        }
        r.add("GET", "/", family: .pendra, auth: .public, handler: h { _, ctx in await WebUIRoute().index(ctx) })
        r.add("GET", "/ui/{file}", family: .pendra, auth: .public, handler: h { _, ctx in await WebUIRoute().asset(ctx) })
        // The feed is the page's own, so it goes with it; it needs a key like /metrics.
        r.add("GET", DashboardRoute.path, family: .pendra, auth: .member,
              handler: h { await DashboardRoute(app: $0).handle($1) })
    }

    /// The route pattern a refused head would have reached, for the
    /// dashboard's request list (metrics keep "unmatched" for these).
    func routeLabel(_ head: HTTPRequest) -> String {
        if case .found(let route, _) = router.resolve(method: head.method, path: head.path) { return route.pattern.description }
        return "unmatched"
    }
}

extension RequestRecord {
    /// The dashboard's copy of an access-log entry: no path, no body.
    init(_ e: AccessLogEntry, route: String, clientClosed: Bool = false) {
        self.init(id: e.requestId, time: Date().timeIntervalSince1970, method: e.method, route: route, status: e.status,
                  durationMs: e.durationMs, model: e.model, promptTokens: e.promptTokens,
                  completionTokens: e.completionTokens, clientClosed: clientClosed)
    }
}
