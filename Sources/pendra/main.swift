import Foundation
import PendraEngine
import PendraHTTP

/// Exits with one line on stderr: a config or startup problem is the user's
/// to fix, so no crash trace.
func die(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("pendra: \(message)\n".utf8))
    exit(code)
}

let args = CommandLine.arguments.dropFirst()

switch args.first {
case nil, "--help", "-h", "help":
    print(ServeOptions.help)
    exit(args.first == nil ? 2 : 0)
case "--version", "version":
    print("pendra 0.1.0 (llama.cpp from llama-cpp-python 0.3.36)")
    exit(0)
case "inspect":
    guard let path = args.dropFirst().first else { die("inspect needs a GGUF file", code: 2) }
    do {
        let f = try GGUFFile.read(path: path)
        let opts = try InspectOptions.parse(args.dropFirst(2))
        print("""
        file            \(path)
        architecture    \(f.architecture ?? "?")
        name            \(f.name ?? "?")
        parameters      \(f.parameterSizeLabel) (\(f.parameterCount))
        quantization    \(f.quantizationName)
        context length  \(f.contextLength.map(String.init) ?? "?")
        embedding       \(f.embeddingLength.map(String.init) ?? "?")
        blocks          \(f.blockCount.map(String.init) ?? "?")
        tokenizer       \(f.tokenizerModel ?? "?")
        chat template   \(f.chatTemplate == nil ? "none" : "yes")
        tensors         \(f.tensors.count)
        size            \(f.fileSize) bytes
        """)
        if let line = opts.kvLine(f) { print(line) }
        exit(0)
    } catch let e as InspectOptions.ParseError {
        die(e.message, code: 2)
    } catch {
        die("\(error)")
    }
case "serve":
    break
default:
    die("unknown command '\(args.first!)' (see pendra --help)", code: 2)
}

let options: ServeOptions
do { options = try ServeOptions.parse(args.dropFirst()) } catch { die(error.message, code: 2) }

var config: ServerConfig
do {
    config = try ServerConfig.load(path: options.config)
    for spec in options.rpc { try config.applyRPCFlag(spec) }
    if let id = options.childModel {
        config = try config.forChild(serving: id)
        ChildMode.prepare(model: id)
    }
} catch { die(error.description, code: 2) }

Log.level = Log.Level(parsing: options.logLevel.description) ?? .info
LlamaBackend.initialize(logLevel: options.llamaLogLevel) { level, message in
    Log.write(level: Log.Level(parsing: level.description) ?? .info, message: "llama.cpp: \(message)")
}

let keys: KeyRegistry
do {
    let fromConfig = config.apiKeys.map {
        APIKey(key: $0.key, role: $0.role == "owner" ? .owner : .member, organisation: $0.organisation, name: $0.name)
    }
    let operatorKeys = try KeyStore.load(config: fromConfig, environment: ProcessInfo.processInfo.environment).keys
    keys = try KeyRegistry(operatorKeys: operatorKeys, file: config.apiKeysFile)
} catch {
    die("\(error)", code: 2)
}
if keys.snapshot.isOpen && !options.isLoopback && !options.allowRemote {
    die("refusing to serve \(options.host) without API keys: configure server.api_keys or PENDRA_API_KEYS, or pass --allow-remote", code: 2)
}

// Every model file must exist and be a readable GGUF before anything loads:
// a config mistake is one line, not a half-started server.
for m in config.models {
    guard FileManager.default.fileExists(atPath: m.path) else {
        die("config \(config.source): model \(m.id): file not found: \(m.path)", code: 2)
    }
    do { _ = try GGUFFile.read(path: m.path) } catch {
        die("config \(config.source): model \(m.id): \(error)", code: 2)
    }
}

let store = ModelStore(config: config)

var appOptions = PendraApp.Options(chatTimeout: config.chatTimeoutSeconds, embeddingTimeout: config.embeddingTimeoutSeconds,
                                   defaultModel: config.defaultModel)
appOptions.logBodies = options.logBodies
appOptions.webUI = config.webUI && options.webUI && options.childModel == nil
// The address bound is a Host clients may name (a LAN address with keys).
let boundHosts = ["0.0.0.0", "::", "[::]"].contains(options.host) ? [] : [options.host]
appOptions.browserGuard = BrowserGuard(allowedHosts: config.security.allowedHosts + boundHosts,
                                       corsOrigins: config.security.corsOrigins)
var serverConfig = HTTPServerConfig()
serverConfig.host = options.host
serverConfig.port = options.port
serverConfig.maxBodyBytes = config.maxBodyBytes
serverConfig.maxHeaderBytes = config.maxHeaderBytes
serverConfig.headerTimeout = config.headerTimeoutSeconds
serverConfig.idleTimeout = config.idleTimeoutSeconds
serverConfig.maxConnections = config.maxConnections
serverConfig.maxBufferedBytes = config.security.maxBufferedBytes
serverConfig.bodyTimeout = config.security.bodyTimeoutSeconds
// The port is bound first: the worker id derives from it. The app (and so
// /health, answering 503 "loading") serves while the models load.
let appBox = AppBox()
let server = HTTPServer(config: serverConfig, screen: appBox.screen, handler: appBox.handler)
let boundPort: Int
do { boundPort = try server.bind() } catch { die("cannot listen on \(options.host):\(options.port): \(error)") }
let app = PendraApp(
    store: store, keys: keys,
    limiter: RateLimiter(limits: RateLimits(requestsPerMinute: config.requestsPerMinute, tokensPerMinute: config.tokensPerMinute)),
    metrics: Metrics(),
    worker: WorkerIdentity.resolve(configured: options.workerID ?? config.workerID, name: options.workerName ?? config.workerName,
                                   host: ProcessInfo.processInfo.hostName, port: boundPort),
    options: appOptions)
appBox.set(app)
do { try server.start() } catch { die("cannot listen on \(options.host):\(options.port): \(error)") }

do {
    Log.info("loading \(config.models.filter { $0.preload && !store.servedByChild($0) }.count) model(s) from \(config.source)")
    if options.childModel != nil { ChildMode.registerRPC(config) }
    try store.preload()
    if options.childModel != nil { RPCDevices.startHeartbeat(every: 2) }
} catch {
    die(error.description)
}
// Child-process models (rpc_servers, isolated): each first attempt settles
// here; one that failed is logged with its reason and retried meanwhile.
app.children.startAll(ChildMode.base(options: options))
app.lifecycle.set(.ready)

Log.info("serving \(store.ids.joined(separator: ", ")) on http://\(options.host):\(server.boundPort) as worker \(app.worker.id)")
if appOptions.webUI { Log.info("web page (chat and dashboard): http://\(options.host):\(server.boundPort)/") }
// Unbuffered, so scripts reading a pipe see it at once.
FileHandle.standardOutput.write(Data("pendra listening on http://\(options.host):\(server.boundPort)\n".utf8))

HTTPServer.waitForTerminationSignal()
// Draining: /health says 503 at once; after the notice (for load balancers
// that probe) the listener closes and running requests get `grace` s.
app.lifecycle.set(.draining)
if config.drainNoticeSeconds > 0 {
    Log.info("draining: /health answers 503 for \(String(format: "%g", config.drainNoticeSeconds)) s before the listener closes")
    Thread.sleep(forTimeInterval: config.drainNoticeSeconds)
}
let grace = config.drainSeconds
Log.info("shutting down: finishing in-flight requests (up to \(String(format: "%g", grace)) s)")
// Generations still running near the deadline are ended by the engines, so
// their streams close with an error event instead of a cut connection.
let endGenerations = DispatchWorkItem { store.shutdown() }
DispatchQueue.global().asyncAfter(deadline: .now() + grace - 1, execute: endGenerations)
server.shutdown(gracePeriod: grace)
endGenerations.cancel()
app.children.stopAll(grace: 5)
store.shutdown()
exit(0)
