import PendraEngine

/// `pendra serve` flags. Parsing is hand-written (no package dependencies)
/// and every mistake names the flag.
struct ServeOptions {
    var config = "models.example"
    var host = "127.0.0.1"
    var port = 8080
    var workerName: String?
    var logLevel: LogLevel = .info
    var llamaLogLevel: LogLevel = .warn
    var allowRemote = false
    var logBodies = false
    var webUI = true
    var workerID: String?
    /// `--rpc` values, applied to the config in order (ServerConfig+ScaleOut).
    var rpc: [String] = []
    /// Internal: serve only this model, in process (a child of another pendra).
    var childModel: String?

    static let help = """
    pendra: serve local GGUF models through the OpenAI and Anthropic APIs.

    USAGE
      pendra serve [options]      load the configured models and serve HTTP
      pendra inspect FILE.gguf    print what a GGUF file says about itself
      pendra --help               this text
      pendra --version            the version and the llama.cpp build

    SERVE OPTIONS
      --config FILE        model config (JSON), default models.example
      --host ADDRESS       address to bind, default 127.0.0.1. A non-loopback
                           address needs API keys configured, or --allow-remote
      --port N             port, default 8080 (0 picks a free one and prints it)
      --worker-name NAME   X-Worker-Name on inference responses (default: the
                           config's server.worker_name, else the host name)
      --worker-id ID       X-Worker-Id (default: the config's server.worker_id,
                           else derived from the host name and port)
      --rpc HOST:PORT,...  put every chat model's layers on these llama.cpp
                           rpc-servers (as llama-server --rpc); --rpc
                           MODEL=HOST:PORT,... sets one model's. Such a model
                           runs in a child process (see docs/scale-out.md)
      --log-level LEVEL    debug, info, warn or error (default info)
      --llama-log-level L  level of llama.cpp's own log lines (default warn)
      --allow-remote       bind a non-loopback address without API keys
      --log-bodies         log request bodies (debug only: may log prompts)
      --no-webui           no web page at / (the config's server.webui: false)

    ENVIRONMENT
      PENDRA_API_KEYS      comma-separated key:role:organisation entries,
                           added to the config's server.api_keys

    See README.md for the config format.
    """

    struct Problem: Error { let message: String }

    static func parse(_ args: ArraySlice<String>) throws(Problem) -> ServeOptions {
        var o = ServeOptions()
        var it = args.makeIterator()
        func value(_ flag: String) throws(Problem) -> String {
            guard let v = it.next(), !v.hasPrefix("--") else { throw Problem(message: "\(flag) needs a value") }
            return v
        }
        while let arg = it.next() {
            // --flag=value works too.
            var flag = arg, inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                flag = String(arg[..<eq]); inline = String(arg[arg.index(after: eq)...])
            }
            func v() throws(Problem) -> String { if let inline { return inline }; return try value(flag) }
            switch flag {
            case "--config": o.config = try v()
            case "--host": o.host = try v()
            case "--port":
                let s = try v()
                guard let p = Int(s), (0...65535).contains(p) else { throw Problem(message: "--port must be 0-65535, not \(s)") }
                o.port = p
            case "--worker-name": o.workerName = try v()
            case "--worker-id":
                let s = try v()
                guard WorkerIDText.isValid(s) else { throw Problem(message: "--worker-id must be 1 to 128 letters, digits or . _ : -") }
                o.workerID = s
            case "--rpc": o.rpc.append(try v())
            case "--child-model": o.childModel = try v()
            case "--log-level":
                let s = try v()
                guard let l = LogLevel(name: s) else { throw Problem(message: "--log-level must be debug, info, warn or error") }
                o.logLevel = l
            case "--llama-log-level":
                let s = try v()
                guard let l = LogLevel(name: s) else { throw Problem(message: "--llama-log-level must be debug, info, warn or error") }
                o.llamaLogLevel = l
            case "--allow-remote": o.allowRemote = true
            case "--log-bodies": o.logBodies = true
            case "--no-webui": o.webUI = false
            default: throw Problem(message: "unknown option \(arg) (see pendra --help)")
            }
        }
        return o
    }

    /// Loopback addresses are safe to serve without keys.
    var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
