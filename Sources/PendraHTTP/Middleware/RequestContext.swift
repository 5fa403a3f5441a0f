/// Everything a route handler gets: the request, the way to answer it, and
/// what the middleware already worked out (path parameters, request id,
/// caller, envelope family). Responses sent through it carry `X-Request-Id`.
public struct RequestContext: Sendable {
    public let request: HTTPRequest
    public let writer: any HTTPResponseWriter
    /// Captures of the route pattern, percent-decoded (`{id}` -> `params["id"]`).
    public let params: [String: String]
    public let requestId: String
    /// Nil only on public routes called without a valid key.
    public let principal: Principal?
    public let family: APIFamily
    /// The route pattern as registered (a low-cardinality metrics label).
    public let route: String
    /// This request's token reservation and usage (see `RequestLedger`).
    public let ledger = RequestLedger()

    public init(request: HTTPRequest, writer: any HTTPResponseWriter, params: [String: String] = [:],
                requestId: String, principal: Principal?, family: APIFamily, route: String) {
        self.request = request
        self.writer = writer
        self.params = params
        self.requestId = requestId
        self.principal = principal
        self.family = family
        self.route = route
    }

    /// The organisation rate limits and usage are charged to.
    public var organisation: String { principal?.organisation ?? "default" }

    /// Sends a complete response, adding `X-Request-Id`.
    public func send(_ response: HTTPResponse) {
        var response = response
        response.headers.set(RequestID.header, requestId)
        writer.send(response)
    }

    /// Sends a JSON body with the given status.
    public func sendJSON(_ body: [UInt8], status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) {
        var headers = headers
        headers.set("Content-Type", "application/json")
        send(HTTPResponse(status: status, headers: headers, body: body))
    }

    /// Answers with `error` in this route's envelope.
    public func fail(_ error: APIError) {
        writer.send(error.response(family: family, requestId: requestId))
    }

    /// Starts a streamed response, adding `X-Request-Id`.
    @discardableResult
    public func startStream(status: Int = 200, headers: HTTPHeaders) -> Bool {
        var headers = headers
        headers.set(RequestID.header, requestId)
        return writer.startStream(status: status, headers: headers)
    }
}
