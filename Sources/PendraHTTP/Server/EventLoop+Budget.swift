// The head screen and the global budget of buffered request bytes. Both run
// on the loop thread, so the running total needs no lock.
extension EventLoop {
    /// The per-connection screen: the server-wide budget first (a declared
    /// body that would not fit is refused before a byte of it is read), then
    /// the application's own `screen`.
    func makeScreen() -> ConnectionStateMachine.Screen? {
        let limit = config.maxBufferedBytes
        let appScreen = screen
        return { [unowned self] head, bodyLength in
            if let n = bodyLength, n > 0, bufferedBytes + n > limit {
                return Self.overBudgetResponse(path: head.path)
            }
            guard let appScreen, let response = appScreen(head) else { return nil }
            return Self.refusal(response, isHead: head.method == "HEAD")
        }
    }

    /// Re-counts what `connection` holds; a request that pushes the total
    /// past the budget while arriving (e.g. an undeclared chunked body) is
    /// answered 503 and its connection closed.
    func chargeBuffer(_ connection: Connection, now: Double) {
        guard connections[connection.fd] === connection else { return }
        let held = connection.machine.heldBytes
        bufferedBytes += held - connection.chargedBytes
        connection.chargedBytes = held
        if bufferedBytes > config.maxBufferedBytes {
            let refusal = Self.overBudgetResponse(path: connection.machine.parser.currentPath)
            let actions = connection.machine.overBudget(refusal: refusal)
            if !actions.isEmpty {
                perform(actions, on: connection, now: now)
                chargeBuffer(connection, now: now)
            }
        }
    }

    static func overBudgetResponse(path: String?) -> [UInt8] {
        let error = APIError(status: 503, message: "Server is buffering too many request bytes; retry shortly", retryAfter: 1)
        let family = path.map(APIFamily.forPath) ?? .pendra
        return refusal(error.response(family: family, requestId: HTTPResponseEncoder.requestID()), isHead: false)
    }

    /// A screen's response as bytes, with `Connection: close`: the body of
    /// the refused request is never read, so the connection cannot be reused.
    static func refusal(_ response: HTTPResponse, isHead: Bool) -> [UInt8] {
        var headers = response.headers
        headers.remove("Content-Length")
        headers.remove("Transfer-Encoding")
        headers.set("Connection", "close")
        let bodyAllowed = HTTPResponseEncoder.allowsBody(response.status)
        if bodyAllowed { headers.add("Content-Length", String(response.body.count)) }
        var bytes = HTTPResponseEncoder.head(status: response.status, headers: headers)
        if bodyAllowed && !isHead { bytes += response.body }
        return bytes
    }
}
