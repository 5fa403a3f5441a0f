import Foundation

/// Where the whole server stands, for load balancers (/health): loading
/// its preloaded models, ready, or draining after SIGTERM. The listener is
/// open in all three, so a probe gets an answer rather than a refused
/// connection until the drain closes it.
public final class ServerLifecycle: @unchecked Sendable {
    public enum Phase: String, Sendable { case loading, ready, draining }

    private let lock = NSLock()
    private var _phase = Phase.loading

    public init() {}

    public var phase: Phase { lock.withLock { _phase } }
    public func set(_ p: Phase) { lock.withLock { _phase = p } }
}
