/// GET /metrics in Prometheus text format 0.0.4.
struct MetricsRoute {
    let app: PendraApp

    func handle(_ ctx: RequestContext) async {
        ctx.send(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                              body: Array(app.metrics.render().utf8)))
    }
}
