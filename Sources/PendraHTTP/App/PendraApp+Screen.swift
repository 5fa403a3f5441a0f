import PendraEngine

// Decisions taken from the request head alone, on the I/O thread, before a
// byte of the body is read: host and origin (see `BrowserGuard`), routing,
// content type and the API key. A request refused here never costs the
// server its body, and its connection is closed.
extension PendraApp {
    /// The transport's head screen (`HTTPServer(config:screen:handler:)`).
    public var screen: HTTPHeadScreen {
        { [self] head in self.screenHead(head) }
    }

    func screenHead(_ head: HTTPRequest) -> HTTPResponse? {
        let family = APIFamily.forPath(head.path)
        let guardian = options.browserGuard
        let verdict = guardian.origin(head.headers)
        // `route`: the dashboard's label, from the resolution already made.
        func refuse(_ error: APIError, _ family: APIFamily, route: String) -> HTTPResponse {
            // Only a refusal needs the id: `handle` makes its own for the rest.
            let requestId = RequestID.accepting(incoming: head.headers[RequestID.header])
            var r = error.response(family: family, requestId: requestId)
            if case .allowed(let o) = verdict { for (n, v) in BrowserGuard.corsHeaders(origin: o) { r.headers.set(n, v) } }
            let entry = AccessLogEntry(method: head.method, path: head.path, status: r.status, durationMs: 0, requestId: requestId)
            record(entry, metricsRoute: "unmatched", ringRoute: route)
            return r
        }
        guard guardian.hostAllowed(head.headers["Host"]) else {
            // Refused before routing: the label is the one resolution made.
            return refuse(.forbidden("Host not allowed: requests must name a loopback host or one in server.allowed_hosts"), family,
                          route: routeLabel(head))
        }
        // Preflights carry no credentials and no body: `handle` answers them.
        if head.method == "OPTIONS" { return nil }
        switch router.resolve(method: head.method, path: head.path) {
        case .notFound:
            return refuse(.notFound(route: RoutePattern.normalize(head.path)), family, route: "unmatched")
        case .methodNotAllowed(let allow, let fam):
            return refuse(.methodNotAllowed(allow: allow), fam, route: "unmatched")
        case .found(let route, _):
            let label = route.pattern.description
            if case .refused(let o) = verdict, BrowserGuard.changesState(head.method) {
                return refuse(.forbidden("Origin \(BrowserGuard.quoted(o)) is not allowed; add it to server.cors_origins"), route.family, route: label)
            }
            if case .failure(let error) = keyRegistry.snapshot.authorize(head.headers, requirement: route.auth) {
                return refuse(error, route.family, route: label)
            }
            if BrowserGuard.needsJSON(head.method), !BrowserGuard.isJSON(head.headers["Content-Type"]) {
                let type = head.headers["Content-Type"].map { "not \(BrowserGuard.quoted($0))" } ?? "and it is missing"
                return refuse(.unsupportedMediaType("Content-Type must be application/json, \(type)"), route.family, route: label)
            }
            return nil
        }
    }

    /// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`), or
    /// nil when `request` is not one.
    func preflight(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "OPTIONS", let asked = request.headers["Access-Control-Request-Method"] else { return nil }
        let requestId = RequestID.accepting(incoming: request.headers[RequestID.header])
        let family = APIFamily.forPath(request.path)
        guard case .allowed(let origin) = options.browserGuard.origin(request.headers) else {
            let o = request.headers["Origin"].map(BrowserGuard.quoted) ?? "(none)"
            return APIError.forbidden("Origin \(o) is not allowed; add it to server.cors_origins")
                .response(family: family, requestId: requestId)
        }
        let methods: [String]
        switch router.resolve(method: asked.uppercased(), path: request.path) {
        case .found(let route, _): methods = [route.method]
        case .methodNotAllowed(let allow, _): methods = allow
        case .notFound:
            return APIError.notFound(route: RoutePattern.normalize(request.path)).response(family: family, requestId: requestId)
        }
        var headers = BrowserGuard.preflightHeaders(origin: origin, methods: methods,
                                                    requestHeaders: request.headers["Access-Control-Request-Headers"])
        headers.set(RequestID.header, requestId)
        return HTTPResponse(status: 204, headers: headers)
    }

    /// CORS headers for an ordinary response to `request` (empty unless its
    /// origin is allowed).
    func corsHeaders(_ request: HTTPRequest) -> HTTPHeaders {
        if case .allowed(let o) = options.browserGuard.origin(request.headers) { return BrowserGuard.corsHeaders(origin: o) }
        return HTTPHeaders()
    }
}
