import Foundation

/// Where a child-process model stands, as /health, /metrics and the models
/// list report it.
public enum ChildModelState: Equatable, Sendable {
    /// Checking its rpc-servers, spawning, or loading (attempt counts from 1).
    case starting(attempt: Int)
    case ready(port: Int, pid: Int32)
    /// Down; `retryIn` seconds until the next try, nil when retries ran out.
    case unavailable(reason: String, retryIn: Double?)
    /// Unloaded by an owner (started again by a request or a load).
    case stopped

    public var isReady: Bool { if case .ready = self { return true }; return false }

    /// The word the health body uses.
    public var label: String {
        switch self {
        case .starting: "loading"
        case .ready: "ready"
        case .unavailable: "unavailable"
        case .stopped: "not_loaded"
        }
    }

    public var reason: String? { if case .unavailable(let r, _) = self { return r }; return nil }
}

/// Restarts after failures: bounded, with a doubling wait, so a dead
/// rpc-server host costs a few log lines, not a spinning loop.
struct ChildRestartPolicy: Equatable {
    var limit: Int
    var firstDelay: Double
    var maxDelay: Double = 60

    /// The wait before retry number `failures` (1 = after the first
    /// failure); nil once `limit` retries were spent.
    func delay(afterFailures failures: Int) -> Double? {
        guard failures >= 1, failures <= limit else { return nil }
        let exponent = Double(min(failures - 1, 30))
        return min(maxDelay, firstDelay * pow(2, exponent))
    }
}
