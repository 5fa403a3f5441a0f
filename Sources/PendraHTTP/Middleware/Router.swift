/// A route handler. It answers through `context` (send, stream or fail).
public typealias RouteHandler = @Sendable (RequestContext) async -> Void

/// One registered route.
public struct Route: Sendable {
    public let method: String
    public let pattern: RoutePattern
    public let family: APIFamily
    public let auth: AuthRequirement
    /// Whether `admit(org:)` of the rate limiter runs before the handler
    /// (inference routes); token charging stays with the handler.
    public let rateLimited: Bool
    public let handler: RouteHandler
}

/// What a method and path resolve to.
public enum RouteResolution: Sendable {
    case found(Route, params: [String: String])
    /// The path exists under other methods; `allow` lists them, sorted.
    case methodNotAllowed(allow: [String], family: APIFamily)
    case notFound
}

/// Method + path pattern -> handler, with the family and auth requirement of
/// each route. Built once at start-up, then only read (it is a value).
public struct Router: Sendable {
    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, family: APIFamily,
                             auth: AuthRequirement, rateLimited: Bool = false,
                             handler: @escaping RouteHandler) {
        routes.append(Route(method: method.uppercased(), pattern: RoutePattern(pattern), family: family,
                            auth: auth, rateLimited: rateLimited, handler: handler))
    }

    /// The most specific route matching `path` for `method`. A trailing
    /// slash is ignored; `path` carries no query string.
    public func resolve(method: String, path: String) -> RouteResolution {
        var best: (route: Route, params: [String: String])?
        var allow: Set<String> = []
        var otherFamily: APIFamily?
        for route in routes {
            guard let params = route.pattern.match(path) else { continue }
            if route.method == method {
                // Strictly more specific wins; among equals, the first registered.
                if best == nil || best!.route.pattern.specificity.lexicographicallyPrecedes(route.pattern.specificity) {
                    best = (route, params)
                }
            } else {
                allow.insert(route.method)
                if otherFamily == nil { otherFamily = route.family }
            }
        }
        if let best { return .found(best.route, params: best.params) }
        if !allow.isEmpty { return .methodNotAllowed(allow: allow.sorted(), family: otherFamily ?? APIFamily.forPath(path)) }
        return .notFound
    }

    /// Runs one request through the shared conventions: request id (the
    /// caller's if well-formed), routing with 404/405 in the right envelope,
    /// authentication and role, the request-per-minute limit on rate-limited
    /// routes, then the handler. Returns the context the handler got, or
    /// nil when the middleware answered itself. Pass `requestId` when the
    /// caller settled it already (to log it even for a 404); by default the
    /// caller's `X-Request-Id` is echoed if well-formed.
    @discardableResult
    public func handle(_ request: HTTPRequest, writer: any HTTPResponseWriter, keys: KeyStore,
                       limiter: RateLimiter? = nil, requestId: String? = nil) async -> RequestContext? {
        let requestId = requestId ?? RequestID.accepting(incoming: request.headers[RequestID.header])
        switch resolve(method: request.method, path: request.path) {
        case .notFound:
            let error = APIError.notFound(route: RoutePattern.normalize(request.path))
            writer.send(error.response(family: APIFamily.forPath(request.path), requestId: requestId))
            return nil
        case .methodNotAllowed(let allow, let family):
            writer.send(APIError.methodNotAllowed(allow: allow).response(family: family, requestId: requestId))
            return nil
        case .found(let route, let params):
            let principal: Principal?
            switch keys.authorize(request.headers, requirement: route.auth) {
            case .failure(let error):
                writer.send(error.response(family: route.family, requestId: requestId))
                return nil
            case .success(let p):
                principal = p
            }
            let context = RequestContext(request: request, writer: writer, params: params, requestId: requestId,
                                         principal: principal, family: route.family,
                                         route: route.pattern.description)
            if route.rateLimited, let limiter {
                let checked = limiter.checkTokens(org: context.organisation).flatMap { limiter.admit(org: context.organisation) }
                if case .failure(let error) = checked {
                    context.fail(error)
                    return nil
                }
            }
            await route.handler(context)
            return context
        }
    }
}
