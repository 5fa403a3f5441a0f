import Foundation
import PendraEngine

/// Supervises the child process that serves one model (one with
/// `rpc_servers`, or `isolated`): checks its rpc-servers, spawns it, notices
/// when it dies, and restarts it within a bounded policy. Everything that
/// changes the state runs on its own serial queue; readers take the lock.
final class ChildModel: @unchecked Sendable {
    let entry: ModelEntry
    private let policy: ChildRestartPolicy
    private let startTimeout: Double
    private let queue: DispatchQueue
    private let lock = NSLock()
    // Until `start` runs (the server answers /health while it loads), it is starting.
    private var _state = ChildModelState.starting(attempt: 1)
    private var process: ChildProcess?
    private var failures = 0
    /// Bumped on every scheduled retry, so a retry overtaken by an owner's
    /// load (or an unload) does nothing.
    private var retryToken = 0
    private var launch: ChildProcess.Launch?
    /// Starts after the first, for /metrics.
    private var _restarts = 0
    var restarts: Int { lock.withLock { _restarts } }
    /// Requests being relayed to it now (/health `requests_in_flight`): a
    /// balancer's load figure, and what fails with 502 if the child dies.
    private var _inFlight = 0
    var requestsInFlight: Int { lock.withLock { _inFlight } }
    func relayStarted() { lock.withLock { _inFlight += 1 } }
    func relayEnded() { lock.withLock { _inFlight -= 1 } }

    init(entry: ModelEntry, policy: ChildRestartPolicy, startTimeout: Double) {
        self.entry = entry
        self.policy = policy
        self.startTimeout = startTimeout
        queue = DispatchQueue(label: "pendra.child.\(entry.id)")
    }

    var state: ChildModelState { lock.withLock { _state } }

    private func set(_ s: ChildModelState) { lock.withLock { _state = s } }

    /// Starts it and returns once that first attempt settled (ready or failed).
    func start(_ launch: ChildProcess.Launch) {
        queue.sync {
            self.launch = launch
            failures = 0
            attempt()
        }
    }

    /// An owner's load (or a request for a stopped model): try now, with a
    /// fresh retry budget; returns the state the attempt reached.
    func reload() -> ChildModelState {
        queue.sync {
            if _state.isReady { return }
            retryToken += 1
            failures = 0
            attempt()
        }
        return state
    }

    /// Owner's unload or shutdown: SIGTERM (the child finishes its
    /// requests within `grace` s), then SIGKILL.
    func stop(grace: Double) {
        queue.sync {
            retryToken += 1
            let p = process
            process = nil
            set(.stopped)
            p?.stop(grace: grace)
        }
    }

    /// Runs on `queue`.
    private func attempt() {
        guard let launch else { return }
        set(.starting(attempt: failures + 1))
        for server in entry.rpcServers {
            if let why = TCPProbe.check(server) {
                return failed("rpc-server \(server) cannot be reached (\(why))")
            }
        }
        let child: ChildProcess
        do {
            child = try ChildProcess(launch) { [weak self] pid, how in
                guard let self else { return }
                self.queue.async { self.exited(pid: pid, how: how) }
            }
        } catch {
            return failed("cannot start its process: \(error)")
        }
        process = child
        guard let port = child.waitForPort(timeout: startTimeout) else {
            process = nil
            child.stop(grace: 1)
            let how = child.exitDescription.map { "its process \($0) while loading" }
                ?? "its process did not finish loading in \(PrometheusText.number(startTimeout)) s"
            let servers = entry.rpcServers.isEmpty ? "" : " (rpc-servers \(serverList))"
            return failed("\(how)\(servers); see the log above")
        }
        if wasReadyOnce { lock.withLock { _restarts += 1 } }
        wasReadyOnce = true
        failures = 0
        set(.ready(port: port, pid: child.pid))
        let on = entry.rpcServers.isEmpty ? "" : " with layers on rpc-servers \(serverList)"
        Log.info("model \(entry.id): ready in child process \(child.pid) on 127.0.0.1:\(port)\(on)")
    }

    private var wasReadyOnce = false
    private var serverList: String { entry.rpcServers.map(\.description).joined(separator: ", ") }

    /// Runs on `queue` when a child process ended. Only the current, ready
    /// child matters: one that fails while starting is `attempt`'s to report.
    private func exited(pid: Int32, how: String) {
        guard case .ready(_, let readyPID) = _state, readyPID == pid, process?.pid == pid else { return }
        process = nil
        Log.error("model \(entry.id): its process \(pid) \(how); requests in flight on it fail with 502")
        failed("its process \(how)")
    }

    /// Runs on `queue`: marks the model unavailable and schedules the next
    /// try, or gives up when the policy says so. Each case is one log line.
    private func failed(_ reason: String) {
        failures += 1
        guard let wait = policy.delay(afterFailures: failures) else {
            set(.unavailable(reason: reason, retryIn: nil))
            Log.error("model \(entry.id) is unavailable: \(reason); gave up after \(failures) attempt(s) (POST /api/v1/models/\(entry.id)/load tries again)")
            return
        }
        set(.unavailable(reason: reason, retryIn: wait))
        Log.warn("model \(entry.id) is unavailable: \(reason); retry \(failures) of \(policy.limit) in \(PrometheusText.number(wait)) s")
        retryToken += 1
        let token = retryToken
        queue.asyncAfter(deadline: .now() + wait) { [weak self] in
            guard let self, self.retryToken == token else { return }
            self.attempt()
        }
    }
}
