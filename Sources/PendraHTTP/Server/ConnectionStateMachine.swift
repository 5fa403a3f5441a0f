/// The lifetime of one HTTP/1.1 connection as a value type. Inputs are
/// mutating methods; each returns the actions the I/O layer must perform, in
/// order. Time is passed in (`now`, seconds on any monotonic clock) so tests
/// drive it with a fake clock.
struct ConnectionStateMachine {
    enum State: Equatable {
        /// Between requests (keep-alive); nothing buffered.
        case idle
        /// Part of a request head has arrived.
        case readingHead
        /// The head is parsed; the body is arriving.
        case readingBody
        /// A request was delivered; its response is not finished.
        case handling
        /// As `handling`, with a streamed response under way.
        case streaming
        /// Writing a final response, then closing.
        case closing
        case closed
    }

    enum Action {
        case deliverRequest(HTTPRequest)
        case sendContinue
        /// Answer with a transport error; the connection closes after it.
        case sendError(HTTPParseError)
        /// Close once queued output is written.
        case close
        /// Fire `timerFired` at this time; nil cancels the timer.
        case scheduleTimeout(Double?)
    }

    struct Timeouts: Sendable {
        var header: Double = 10
        var idle: Double = 60
    }

    private(set) var state: State = .idle
    private(set) var deadline: Double?
    private(set) var parser: HTTPParser
    let timeouts: Timeouts
    /// Whether the request in flight allows the connection to be reused.
    private(set) var keepAlive = true
    /// Pipelined bytes buffered while handling beyond which reading pauses.
    let maxBufferedWhileBusy: Int

    init(limits: HTTPParser.Limits, timeouts: Timeouts) {
        self.parser = HTTPParser(limits: limits)
        self.timeouts = timeouts
        self.maxBufferedWhileBusy = max(limits.maxHeaderBytes, 64 * 1024)
    }

    /// A new connection: nothing has arrived, so the header deadline runs.
    mutating func start(now: Double) -> [Action] {
        state = .idle
        return [arm(now + timeouts.header)]
    }

    /// False when the I/O layer should stop reading (pipelined backlog).
    var wantsInput: Bool {
        switch state {
        case .handling, .streaming: parser.bufferedByteCount < maxBufferedWhileBusy
        case .closed: false
        default: true
        }
    }

    var isBusy: Bool { state == .handling || state == .streaming }

    mutating func bytesReceived<C: Collection>(_ bytes: C, now: Double) -> [Action] where C.Element == UInt8 {
        switch state {
        case .closing, .closed:
            return []
        case .handling, .streaming:
            parser.append(bytes)
            return []
        case .idle, .readingHead, .readingBody:
            parser.append(bytes)
            return parse(now: now)
        }
    }

    /// The handler began a streamed response.
    mutating func responseStarted() {
        if state == .handling { state = .streaming }
    }

    /// The response was fully queued; `close` if it must end the connection.
    mutating func responseComplete(close: Bool, now: Double) -> [Action] {
        guard state == .handling || state == .streaming else { return [] }
        if close || !keepAlive {
            state = .closing
            return [arm(nil), .close]
        }
        state = .idle
        return parse(now: now)
    }

    mutating func timerFired(now: Double) -> [Action] {
        guard let due = deadline, now >= due else { return [] }
        switch state {
        case .idle, .readingHead, .readingBody:
            state = .closing
            deadline = nil
            return [.close]
        default:
            return []
        }
    }

    mutating func peerClosed() -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        deadline = nil
        return [.close]
    }

    /// Ends the connection after the current response (graceful shutdown).
    mutating func stopKeepAlive() -> [Action] {
        keepAlive = false
        switch state {
        case .idle:
            state = .closing
            return [arm(nil), .close]
        default:
            return []
        }
    }

    /// Parses buffered bytes until a request is delivered or more are needed.
    private mutating func parse(now: Double) -> [Action] {
        var actions: [Action] = []
        do {
            while let event = try parser.next() {
                switch event {
                case .continueExpected:
                    actions.append(.sendContinue)
                case .request(let request):
                    keepAlive = keepAlive && Self.wantsKeepAlive(request)
                    state = .handling
                    actions.append(arm(nil))
                    actions.append(.deliverRequest(request))
                    return actions
                }
            }
        } catch {
            state = .closing
            actions.append(arm(nil))
            actions.append(.sendError(error))
            return actions
        }
        let previous = state
        if case .head = parser.phase {
            state = parser.isMidRequest ? .readingHead : .idle
        } else {
            state = .readingBody
        }
        switch (previous, state) {
        case (_, .idle) where previous != .idle, (.idle, .idle) where deadline == nil:
            actions.append(arm(now + timeouts.idle))
        case (.idle, .readingHead):
            actions.append(arm(now + timeouts.header))
        case (_, .readingBody):
            // A body must keep arriving: each read extends the deadline.
            actions.append(arm(now + timeouts.idle))
        default:
            break
        }
        return actions
    }

    private mutating func arm(_ at: Double?) -> Action {
        deadline = at
        return .scheduleTimeout(at)
    }

    /// RFC 9112 §9.3: 1.1 persists unless `close`; 1.0 only with `keep-alive`.
    static func wantsKeepAlive(_ request: HTTPRequest) -> Bool {
        let tokens = request.headers.values("Connection")
            .flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces().lowercased() }
        if tokens.contains("close") { return false }
        return request.version == "HTTP/1.1" || tokens.contains("keep-alive")
    }
}
