/// GET / (the page) and GET /ui/{file} (its scripts and styles), served
/// from the files compiled into the binary (WebAssets+Generated.swift).
/// Public: with keys configured the page itself asks for one, and every
/// API call it makes is checked as any other client's.
struct WebUIRoute {
    static let page = "index.html"

    /// The response for asset `name`, or nil when there is none.
    static func response(_ name: String) -> HTTPResponse? {
        guard let text = WebAssets.files[name] else { return nil }
        var h = WebUIPolicy.headers
        h.add("Content-Type", WebUIPolicy.contentType(name))
        return HTTPResponse(status: 200, headers: h, body: Array(text.utf8))
    }

    func index(_ ctx: RequestContext) async {
        ctx.send(Self.response(Self.page)!)
    }

    func asset(_ ctx: RequestContext) async {
        let name = ctx.params["file"] ?? ""
        // The page is served at / only, so there is one address to guard.
        guard name != Self.page, let r = Self.response(name) else {
            return ctx.fail(.notFound(route: RoutePattern.normalize(ctx.request.path)))
        }
        ctx.send(r)
    }
}
