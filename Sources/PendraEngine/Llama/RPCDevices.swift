import CLlama
import Foundation

/// llama.cpp's RPC backend, for the one process that may use it: a child
/// serving a single model (see `ServerConfig.forChild`). ggml's RPC client
/// calls GGML_ABORT when it cannot connect or a server dies mid-call, so no
/// process that serves anything else registers a server.
public enum RPCDevices {
    public enum Failure: Error, CustomStringConvertible {
        case noBackend
        public var description: String { "this llama.cpp build has no RPC backend (build it with GGML_RPC=ON)" }
    }

    /// Registers each server as a device (as llama.cpp's `--rpc` does), so
    /// the next model load spreads its layers over them. Aborts the process
    /// if one cannot be reached: the parent checked that just before.
    public static func register(_ servers: [RPCEndpoint]) throws(Failure) {
        LlamaBackend.ensureInitialized()
        ggml_backend_load_all()
        guard let reg = ggml_backend_reg_by_name("RPC"),
              let add = ggml_backend_reg_get_proc_address(reg, "ggml_backend_rpc_add_server") else { throw .noBackend }
        typealias AddServer = @convention(c) (UnsafePointer<CChar>) -> ggml_backend_reg_t?
        let addServer = unsafeBitCast(add, to: AddServer.self)
        for s in servers {
            guard let serverReg = s.description.withCString({ addServer($0) }) else { throw .noBackend }
            ggml_backend_register(serverReg)
        }
    }

    /// The registered RPC devices.
    static var devices: [ggml_backend_dev_t] {
        (0..<ggml_backend_dev_count()).compactMap { i -> ggml_backend_dev_t? in
            guard let d = ggml_backend_dev_get(i), let r = ggml_backend_dev_backend_reg(d),
                  String(cString: ggml_backend_reg_name(r)) == "RPC" else { return nil }
            return d
        }
    }

    /// Asks every RPC device for its memory every `interval` seconds, so a
    /// server that died while the model was idle ends this child process now
    /// (ggml aborts on the failed call) and the parent marks the model
    /// unavailable at once, not at the next request. The RPC client queues
    /// calls per server, so this is safe beside a running decode.
    public static func startHeartbeat(every interval: Double) {
        let count = devices.count
        guard count > 0 else { return }
        let t = Thread {
            while true {
                Thread.sleep(forTimeInterval: interval)
                for d in devices {
                    var free = 0, total = 0
                    ggml_backend_dev_memory(d, &free, &total)
                }
            }
        }
        t.name = "pendra-rpc-heartbeat"
        t.start()
    }
}
