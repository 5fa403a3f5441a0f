import Foundation

/// What one request leaves for the end of its handling: the tokens it
/// reserved from its organisation's bucket and the usage the access log
/// reports. One per request, shared by every copy of its `RequestContext`;
/// keyed by the client's `X-Request-Id` instead, two requests in flight
/// with the same id would take each other's reservation.
public final class RequestLedger: @unchecked Sendable {
    public struct Usage: Sendable, Equatable {
        public var model: String
        public var prompt: Int
        public var completion: Int
    }

    private let lock = NSLock()
    private var reservation: TokenReservation?
    private var usage: Usage?

    public init() {}

    func reserve(_ r: TokenReservation) { lock.withLock { reservation = r } }
    /// The reservation, once: whoever takes it settles it.
    func takeReservation() -> TokenReservation? { lock.withLock { defer { reservation = nil }; return reservation } }
    func note(_ u: Usage) { lock.withLock { usage = u } }
    func takeUsage() -> Usage? { lock.withLock { defer { usage = nil }; return usage } }
}
