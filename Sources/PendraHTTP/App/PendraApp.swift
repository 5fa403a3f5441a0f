import Foundation
import PendraEngine

/// Everything a request may need, built once at startup, and the routing
/// table. The transport calls `handler` for every request.
public final class PendraApp: Sendable {
    public struct Options: Sendable {
        public var logBodies = false
        public var chatTimeout: Double
        public var embeddingTimeout: Double
        /// Model for ids the config lacks (e.g. Claude Code's `claude-*`).
        public var defaultModel: String?
        /// Host and origin checks against web pages (see `BrowserGuard`).
        public var browserGuard = BrowserGuard()
        /// The web page at / and its dashboard feed (`server.webui`, `--no-webui`).
        public var webUI = true

        public init(chatTimeout: Double = 100, embeddingTimeout: Double = 60, defaultModel: String? = nil) {
            self.chatTimeout = chatTimeout
            self.embeddingTimeout = embeddingTimeout
            self.defaultModel = defaultModel
        }
    }

    public let store: ModelStore
    public let keyRegistry: KeyRegistry
    public let limiter: RateLimiter
    public let metrics: Metrics
    public let worker: WorkerIdentity
    public let options: Options
    /// Models served by child processes (rpc_servers, isolated): Remote/.
    public let children: ChildModels
    /// Loading, ready or draining, for /health.
    public let lifecycle = ServerLifecycle()
    /// SHA-256 of each model file, hashed once in the background (Ollama's `digest`).
    let digests: ModelDigests
    private let started = Int(Date().timeIntervalSince1970)
    let router: Router
    let accessLog: AccessLog
    /// The last requests and token rates, for the web page's dashboard.
    let activity = ServerActivity()

    public init(store: ModelStore, keys: KeyRegistry, limiter: RateLimiter, metrics: Metrics,
                worker: WorkerIdentity, options: Options) {
        self.store = store
        self.keyRegistry = keys
        self.limiter = limiter
        self.metrics = metrics
        self.worker = worker
        self.options = options
        self.accessLog = AccessLog(logBodies: options.logBodies)
        self.children = ChildModels(config: store.config)
        self.digests = ModelDigests(files: store.config.models.map { ($0.id, $0.path) })
        var r = Router()
        Self.routes(into: &r, app: appRef)
        if options.webUI { Self.webUIRoutes(into: &r, app: appRef) }
        self.router = r
        appRef.set(self)
        // Once per configured model: the callbacks read zero while it is unloaded.
        for id in store.ids { registerEngineMetrics(id) }
        if options.webUI {
            activity.startSampling(metrics: metrics, models: store.config.models.filter { $0.capability == .chat }.map(\.id))
        }
        registerAvailabilityMetrics()
    }

    /// Routes are registered before `self` exists; handlers reach the app
    /// through this box, set at the end of init.
    private let appRef = Unowned()

    final class Unowned: @unchecked Sendable {
        private(set) weak var app: PendraApp?
        func set(_ a: PendraApp) { app = a }
    }

    private static func routes(into r: inout Router, app box: Unowned) {
        // A request naming a child-process model goes to its child instead.
        func h(_ body: @escaping @Sendable (PendraApp, RequestContext) async -> Void) -> RouteHandler {
            { ctx in
                guard let app = box.app else { return }
                if await app.children.relayIfChild(ctx, defaultModel: app.options.defaultModel, resolve: app.resolveModel) { return }
                await body(app, ctx)
            }
        }
        r.add("GET", "/health", family: .pendra, auth: .public, handler: h { await HealthRoute(app: $0).handle($1) })
        r.add("GET", "/metrics", family: .pendra, auth: .member, handler: h { await MetricsRoute(app: $0).handle($1) })
        r.add("GET", "/api/v1/catalogue", family: .pendra, auth: .public, handler: h { await CatalogueRoute(app: $0).handle($1) })
        r.add("POST", "/api/v1/models/{id}/load", family: .pendra, auth: .owner, handler: h { await ModelAdminRoute(app: $0).load($1) })
        r.add("POST", "/api/v1/models/{id}/unload", family: .pendra, auth: .owner, handler: h { await ModelAdminRoute(app: $0).unload($1) })
        r.add("GET", "/api/v1/keys", family: .pendra, auth: .owner, handler: h { await KeysRoute(app: $0).list($1) })
        r.add("POST", "/api/v1/keys", family: .pendra, auth: .owner, handler: h { await KeysRoute(app: $0).create($1) })
        r.add("DELETE", "/api/v1/keys/{id}", family: .pendra, auth: .owner, handler: h { await KeysRoute(app: $0).revoke($1) })
        for prefix in ["/v1", "/api/v1"] {
            r.add("POST", prefix + "/messages", family: .anthropic, auth: .member, rateLimited: true,
                  handler: h { await MessagesRoute(app: $0).handle($1) })
            // Rated like inference: it renders and tokenizes, and may load a model.
            r.add("POST", prefix + "/messages/count_tokens", family: .anthropic, auth: .member, rateLimited: true,
                  handler: h { await CountTokensRoute(app: $0).handle($1) })
            r.add("GET", prefix + "/models", family: .openai, auth: .member, handler: h { await ModelsRoute(app: $0).handle($1) })
            // {id...}: ids like `org/model` that a client did not percent-encode.
            r.add("GET", prefix + "/models/{id...}", family: .openai, auth: .member,
                  handler: h { await ModelsRoute(app: $0).retrieve($1) })
            r.add("POST", prefix + "/chat/completions", family: .openai, auth: .member, rateLimited: true,
                  handler: h { await ChatCompletionsRoute(app: $0).handle($1) })
            r.add("POST", prefix + "/responses", family: .openai, auth: .member, rateLimited: true,
                  handler: h { await ResponsesRoute(app: $0).handle($1) })
            r.add("POST", prefix + "/embeddings", family: .openai, auth: .member, rateLimited: true,
                  handler: h { await EmbeddingsRoute(app: $0).handle($1) })
            r.add("POST", prefix + "/completions", family: .openai, auth: .member,
                  handler: h { await CompletionsRoute().handle($1) })
        }
        ollamaRoutes(into: &r, h)
        llamaServerRoutes(into: &r, h)
    }

    /// The transport's entry point.
    public var handler: HTTPHandler {
        { [self] request, writer in await self.handle(request, writer) }
    }

    private static let inferencePaths: Set<String> = [
        "/v1/chat/completions", "/api/v1/chat/completions", "/v1/embeddings", "/api/v1/embeddings",
        "/v1/messages", "/api/v1/messages", "/v1/completions", "/api/v1/completions",
        "/v1/responses", "/api/v1/responses",
        "/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/v1/rerank", "/rerank",
    ]

    func handle(_ request: HTTPRequest, _ writer: any HTTPResponseWriter) async {
        let start = DispatchTime.now().uptimeNanoseconds
        let path = RoutePattern.normalize(request.path)
        var extra = corsHeaders(request)
        if Self.inferencePaths.contains(path) { for (n, v) in worker.headers { extra.set(n, v) } }
        let observed = ObservedWriter(writer, workerHeaders: extra)
        var ctx: RequestContext?
        if let answer = preflight(request) {
            observed.send(answer)
        } else {
            ctx = await router.handle(request, writer: observed, keys: keyRegistry.snapshot, limiter: limiter)
        }
        if let ctx { releaseReservation(ctx) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let route = ctx?.route ?? "unmatched"
        var entry = AccessLogEntry(method: request.method, path: request.path, status: observed.status,
                                   durationMs: seconds * 1000, requestId: ctx?.requestId ?? "-")
        if let usage = ctx?.ledger.takeUsage() {
            entry.model = usage.model
            entry.promptTokens = usage.prompt
            entry.completionTokens = usage.completion
        }
        if options.logBodies { entry.requestBody = request.body }
        record(entry, metricsRoute: route, ringRoute: route, seconds: seconds, clientClosed: observed.clientClosed)
    }

    /// What every finished request leaves, answered by a route or refused
    /// from its head: metrics, the access log and, with the web UI on (the
    /// only reader), the dashboard's request ring.
    func record(_ entry: AccessLogEntry, metricsRoute: String, ringRoute: String, seconds: Double? = nil,
                clientClosed: Bool = false) {
        metrics.httpRequests(route: metricsRoute, method: entry.method, status: entry.status).inc()
        if let seconds { metrics.requestDuration(route: metricsRoute).observe(seconds) }
        if clientClosed { metrics.requestsAbandoned(route: metricsRoute).inc() }
        accessLog.record(entry)
        if options.webUI { activity.requests.record(RequestRecord(entry, route: ringRoute, clientClosed: clientClosed)) }
    }

    /// Records tokens for metrics, rate limits and the access log.
    func account(_ ctx: RequestContext, model: String, usage: Usage) {
        metrics.promptTokens(model: model).inc(by: Double(usage.promptTokens))
        metrics.promptTokensReused(model: model).inc(by: Double(usage.reusedPromptTokens))
        metrics.completionTokens(model: model).inc(by: Double(usage.completionTokens))
        chargeTokens(ctx, used: usage.promptTokens + usage.completionTokens)
        ctx.ledger.note(.init(model: model, prompt: usage.promptTokens, completion: usage.completionTokens))
    }

    /// Live engine numbers as gauges, read at scrape time.
    private func registerEngineMetrics(_ id: String) {
        let store = self.store
        let batches = metrics.batchSizeTokens(model: id)
        let hostCache = metrics.hostCacheObserver(model: id)
        store.onLoad(id) { engine in
            if case .chat(let e) = engine {
                e.observeSteps { batches.observe(Double($0)) }
                e.observeHostCache(hostCache)
            }
        }
        let snap: @Sendable () -> EngineSnapshot? = {
            if case .chat(let e)? = store.engineIfLoaded(id) { return e.snapshot }
            return nil
        }
        let labels = ["model": id]
        metrics.registerGaugeCallback(Metrics.GaugeName.activeSequences, help: Metrics.GaugeName.help(Metrics.GaugeName.activeSequences), labels: labels) { Double(snap()?.running ?? 0) }
        metrics.registerGaugeCallback(Metrics.GaugeName.queuedSequences, help: Metrics.GaugeName.help(Metrics.GaugeName.queuedSequences), labels: labels) { Double(snap()?.waiting ?? 0) }
        metrics.registerGaugeCallback(Metrics.GaugeName.kvCellsUsed, help: Metrics.GaugeName.help(Metrics.GaugeName.kvCellsUsed), labels: labels) { Double(snap()?.kvCellsUsed ?? 0) }
        metrics.registerHostCacheGauges(model: id) {
            if case .chat(let e)? = store.engineIfLoaded(id) { return e.hostCacheStats }
            return nil
        }
        metrics.registerGaugeCallback(Metrics.GaugeName.kvCellsTotal, help: Metrics.GaugeName.help(Metrics.GaugeName.kvCellsTotal), labels: labels) { Double(snap()?.kvCellsTotal ?? 0) }
        metrics.registerGaugeCallback("pendra_speculative_drafted_tokens", help: "Draft tokens proposed to the model since it was loaded (speculative decoding)", labels: labels) { Double(snap()?.draftedTokens ?? 0) }
        metrics.registerGaugeCallback("pendra_speculative_accepted_tokens", help: "Draft tokens the model accepted since it was loaded", labels: labels) { Double(snap()?.acceptedTokens ?? 0) }
        metrics.registerGaugeCallback("pendra_speculative_acceptance_ratio", help: "Accepted over drafted tokens since the model was loaded (0 before any draft)", labels: labels) {
            guard let s = snap(), s.draftedTokens > 0 else { return 0 }
            return Double(s.acceptedTokens) / Double(s.draftedTokens)
        }
    }

    // MARK: Model facts for the lists

    func displayName(_ m: ModelEntry) -> String {
        m.displayName ?? store.info[m.id]?.name ?? m.id
    }

    func contextLength(_ m: ModelEntry) -> Int {
        if case .chat(let e)? = store.engineIfLoaded(m.id) { return e.contextSize }
        return m.contextSize ?? store.info[m.id]?.contextLength ?? 0
    }

    func createdTime(_ id: String) -> Int {
        guard let path = store.config.model(id)?.path,
              let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              let date = attrs[.modificationDate] as? Date else { return started }
        return Int(date.timeIntervalSince1970)
    }

    /// Resolves the model a client asked for: a configured id, else the
    /// configured default for `claude-*` ids (Claude Code's agents ask for
    /// those whatever the user set).
    func resolveModel(_ requested: String) -> String {
        if store.config.model(requested) != nil { return requested }
        if requested.hasPrefix("claude-"), let d = options.defaultModel { return d }
        return requested
    }
}
