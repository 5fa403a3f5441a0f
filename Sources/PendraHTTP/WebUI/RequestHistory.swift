import Foundation

/// One answered request as the dashboard shows it. Holds no header, body,
/// query string or key: only what the access log line has, minus the path
/// (the route pattern stands for it).
public struct RequestRecord: Sendable, Equatable {
    public var id: String
    /// Unix seconds when the answer was complete.
    public var time: Double
    public var method: String
    /// The route pattern (`/v1/models/{id...}`), or "unmatched".
    public var route: String
    public var status: Int
    public var durationMs: Double
    public var model: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    /// The client went away before the response finished (a stop button,
    /// a cut stream): the server cancelled the work.
    public var clientClosed: Bool

    public init(id: String, time: Double, method: String, route: String, status: Int, durationMs: Double,
                model: String? = nil, promptTokens: Int? = nil, completionTokens: Int? = nil, clientClosed: Bool = false) {
        self.id = id
        self.time = time
        self.method = method
        self.route = route
        self.status = status
        self.durationMs = durationMs
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.clientClosed = clientClosed
    }
}

/// The last `capacity` requests, newest last: a fixed ring, so memory stays
/// bounded however long the server runs. Thread-safe.
public final class RequestHistory: @unchecked Sendable {
    public let capacity: Int
    private let lock = NSLock()
    private var slots: [RequestRecord] = []
    /// Where the next record goes once the ring is full.
    private var next = 0

    /// The page's own routes: its polling would otherwise push every real
    /// request out of the ring within a minute.
    static let unrecordedRoutes: Set<String> = ["/", "/ui/{file}", DashboardRoute.path]

    public init(capacity: Int = 100) {
        precondition(capacity > 0, "a ring needs room for one record")
        self.capacity = capacity
        slots.reserveCapacity(capacity)
    }

    public func record(_ r: RequestRecord) {
        if Self.unrecordedRoutes.contains(r.route) { return }
        lock.withLock {
            if slots.count < capacity {
                slots.append(r)
            } else {
                slots[next] = r
                next = (next + 1) % capacity
            }
        }
    }

    /// The newest `limit` records, oldest first.
    public func last(_ limit: Int) -> [RequestRecord] {
        let ordered: [RequestRecord] = lock.withLock { Array(slots[next...] + slots[..<next]) }
        return Array(ordered.suffix(max(0, limit)))
    }
}
