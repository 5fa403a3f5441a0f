/// The headers every web-page response carries. The page's scripts and
/// styles are files under /ui/, so the policy forbids inline script, inline
/// style, eval and every other origin; the page talks only to this server.
enum WebUIPolicy {
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static var headers: HTTPHeaders {
        var h = HTTPHeaders()
        h.add("Content-Security-Policy", contentSecurityPolicy)
        h.add("X-Content-Type-Options", "nosniff")
        h.add("X-Frame-Options", "DENY")
        // Not no-referrer: under it a browser sends `Origin: null` even on
        // the page's same-origin POSTs, which BrowserGuard must refuse.
        h.add("Referrer-Policy", "same-origin")
        // Small files, and an upgraded binary must not leave old scripts behind.
        h.add("Cache-Control", "no-cache")
        return h
    }

    /// Content type by file extension.
    static func contentType(_ name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        return "application/octet-stream"
    }
}
