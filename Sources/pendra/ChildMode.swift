import Foundation
import PendraEngine
import PendraHTTP
#if canImport(Glibc)
import Glibc
#endif

/// `pendra serve --child-model ID`: the process a parent pendra starts for
/// one model whose layers live on rpc-servers (or that is `isolated`).
/// ggml may abort it (an rpc-server unreachable or dead); the parent sees
/// the exit and marks the model unavailable, and nothing else is lost.
enum ChildMode {
    /// Call first in a child: its log lines say whose they are, an abort
    /// leaves no core file, and it ends when its parent does (the parent
    /// holds our stdin's other end; end-of-file means it is gone), so an
    /// orphan never keeps an rpc-server (one client at a time) busy.
    static func prepare(model: String) {
        let old = Log.setSink { _ in }
        Log.setSink { line in old("[child \(model)] " + line) }
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        let watcher = Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(0, &byte, 1)
                if n == 0 || (n < 0 && errno != EINTR) { _exit(0) }
            }
        }
        watcher.name = "pendra-parent-watch"
        watcher.start()
    }

    /// Registers the model's rpc-servers with llama.cpp before it loads.
    static func registerRPC(_ config: ServerConfig) {
        guard let m = config.models.first, !m.rpcServers.isEmpty else { return }
        do { try RPCDevices.register(m.rpcServers) } catch { die("\(error)") }
        Log.info("model \(m.id): layers on rpc-servers \(m.rpcServers.map(\.description).joined(separator: ", "))")
    }

    /// What a parent starts its children with.
    static func base(options: ServeOptions) -> ChildModels.Base {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let config = URL(fileURLWithPath: options.config).standardizedFileURL.path
        var extra = ["--log-level", options.logLevel.description, "--llama-log-level", options.llamaLogLevel.description]
        if options.logBodies { extra.append("--log-bodies") }
        return ChildModels.Base(executable: exe, configPath: config, extraArguments: extra)
    }
}
