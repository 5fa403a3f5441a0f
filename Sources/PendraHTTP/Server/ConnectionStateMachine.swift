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
        /// Answer with these encoded bytes (a refused head, an over-budget
        /// body); the connection closes after them, the body unread.
        case sendRefusal([UInt8])
        /// Close once queued output is written.
        case close
        /// Fire `timerFired` at this time; nil cancels the timer.
        case scheduleTimeout(Double?)
    }

    struct Timeouts: Sendable {
        var header: Double = 10
        var idle: Double = 60
        /// Seconds from the end of the head to the end of the body: one
        /// absolute deadline, so a client trickling bytes cannot extend it.
        var body: Double = 60
    }

    /// Decides on a request head before its body is read: nil reads on,
    /// bytes are the complete refusal (with `Connection: close`).
    /// `bodyLength` is the declared length, nil for chunked.
    typealias Screen = (HTTPRequest, _ bodyLength: Int?) -> [UInt8]?

    private(set) var state: State = .idle
    private(set) var deadline: Double?
    private(set) var parser: HTTPParser
    let timeouts: Timeouts
    /// Whether the request in flight allows the connection to be reused.
    private(set) var keepAlive = true
    /// Pipelined bytes buffered while handling beyond which reading pauses.
    let maxBufferedWhileBusy: Int

    let screen: Screen?
    /// Declared body length of the request being read, held against the
    /// server's buffer budget until the request is delivered.
    private(set) var reservedBodyBytes = 0

    init(limits: HTTPParser.Limits, timeouts: Timeouts, screen: Screen? = nil) {
        self.parser = HTTPParser(limits: limits)
        self.parser.reportsHeads = screen != nil
        self.timeouts = timeouts
        self.screen = screen
        self.maxBufferedWhileBusy = max(limits.maxHeaderBytes, 64 * 1024)
    }

    /// Request bytes this connection holds in memory (or has been promised:
    /// the declared length of a body being read), for the global budget.
    var heldBytes: Int {
        switch state {
        case .closing, .closed: 0
        case .handling, .streaming: parser.bufferedByteCount
        case .idle, .readingHead, .readingBody:
            max(parser.bufferedByteCount + parser.body.count, reservedBodyBytes)
        }
    }

    /// The server's buffer budget is spent: a connection still receiving a
    /// request is answered with `refusal` and closed; others are left alone.
    mutating func overBudget(refusal: [UInt8]) -> [Action] {
        guard state == .readingHead || state == .readingBody else { return [] }
        return refuse(refusal)
    }

    /// Answers `refusal` and closes: the body (if any) is never read, so
    /// nothing stays reserved against the buffer budget.
    private mutating func refuse(_ refusal: [UInt8]) -> [Action] {
        state = .closing
        reservedBodyBytes = 0
        return [arm(nil), .sendRefusal(refusal), .close]
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
                case .head(let head, let length):
                    if let refusal = screen?(head, length) {
                        return actions + refuse(refusal)
                    }
                    reservedBodyBytes = length ?? 0
                case .request(let request):
                    reservedBodyBytes = 0
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
        case (let p, .readingBody) where p != .readingBody:
            // One deadline for the whole body, set when it starts: reads do
            // not extend it, so a trickle cannot hold the connection open.
            actions.append(arm(now + timeouts.body))
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
