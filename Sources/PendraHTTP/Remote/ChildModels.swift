import Foundation
import PendraEngine

/// The models this server serves through child processes (those with
/// `rpc_servers`, `isolated`, or another `llama_build`: LlamaBuilds). ggml's RPC client aborts its process when
/// an rpc-server cannot be reached or dies mid-call, so such a model never
/// loads here: a child `pendra serve --child-model ID` loads it on loopback,
/// this process forwards that model's requests to it (`ChildRelay`) and
/// supervises it (`ChildModel`). A dead rpc-server then costs the requests
/// in flight on that model a 502, never the server.
public final class ChildModels: @unchecked Sendable {
    /// What every child is started from: this binary, the config file, and
    /// the flags to pass through (log levels).
    public struct Base: Sendable {
        public var executable: String
        public var configPath: String
        public var extraArguments: [String]
        public init(executable: String, configPath: String, extraArguments: [String]) {
            self.executable = executable
            self.configPath = configPath
            self.extraArguments = extraArguments
        }
    }

    let byID: [String: ChildModel]
    /// Config order, for the lists.
    let ids: [String]
    /// The owner key each child is started with; only this process knows it,
    /// so nothing else on the host can use a child's loopback port.
    let secret = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    let relayTimeout: Double

    public init(config: ServerConfig) {
        let policy = ChildRestartPolicy(limit: config.childRetryLimit, firstDelay: config.childRetrySeconds)
        var map: [String: ChildModel] = [:]
        var ids: [String] = []
        if !config.loadsChildModelsInProcess {
            for m in config.models where m.runsInChild {
                map[m.id] = ChildModel(entry: m, policy: policy, startTimeout: config.childStartSeconds)
                ids.append(m.id)
            }
        }
        byID = map
        self.ids = ids
        // The child enforces the chat timeout itself; this bounds a child
        // that stopped answering altogether (an rpc-server gone silent).
        relayTimeout = max(config.chatTimeoutSeconds, config.embeddingTimeoutSeconds) + 30
    }

    public var isEmpty: Bool { byID.isEmpty }
    public func contains(_ id: String) -> Bool { byID[id] != nil }
    public func state(_ id: String) -> ChildModelState? { byID[id]?.state }
    public func restarts(_ id: String) -> Int { byID[id]?.restarts ?? 0 }
    public func requestsInFlight(_ id: String) -> Int? { byID[id]?.requestsInFlight }

    /// Starts every child at once; returns when each has loaded or failed
    /// its first attempt (failures go on retrying in the background).
    public func startAll(_ base: Base) {
        let group = DispatchGroup()
        for id in ids {
            guard let child = byID[id] else { continue }
            let launch = Self.launch(for: child.entry, base: base, secret: secret)
            DispatchQueue.global().async(group: group) { child.start(launch) }
        }
        group.wait()
    }

    /// Owner's load: try now with a fresh retry budget.
    public func reload(_ id: String) -> ChildModelState? { byID[id]?.reload() }

    /// Owner's unload, or shutdown for all.
    public func stop(_ id: String, grace: Double = 10) { byID[id]?.stop(grace: grace) }
    public func stopAll(grace: Double) {
        let group = DispatchGroup()
        for child in byID.values { DispatchQueue.global().async(group: group) { child.stop(grace: grace) } }
        group.wait()
    }

    static func launch(for m: ModelEntry, base: Base, secret: String) -> ChildProcess.Launch {
        var args = ["serve", "--config", base.configPath, "--host", "127.0.0.1", "--port", "0", "--child-model", m.id]
        if !m.rpcServers.isEmpty { args += ["--rpc", "\(m.id)=" + m.rpcServers.map(\.description).joined(separator: ",")] }
        args += base.extraArguments
        var env = ProcessInfo.processInfo.environment
        env["PENDRA_API_KEYS"] = "\(secret):owner:pendra-parent"
        // ggml's abort would otherwise attach gdb to print a backtrace.
        env["GGML_NO_BACKTRACE"] = "1"
        // ... and Swift's crash handler would symbolicate one (about a second).
        env["SWIFT_BACKTRACE"] = "enable=no"
        // Another llama.cpp build: its libraries before the ones RUNPATH names.
        if let libs = m.llamaLibraries {
            env["LD_LIBRARY_PATH"] = ([libs] + (env["LD_LIBRARY_PATH"].map { [$0] } ?? [])).joined(separator: ":")
        }
        return ChildProcess.Launch(executable: base.executable, arguments: args, environment: env)
    }
}
