import PendraHTTP

/// Lets the HTTP server be bound before the app exists (the worker id is
/// derived from the bound port); set before the server starts serving.
final class AppBox: @unchecked Sendable {
    private var app: PendraApp?

    func set(_ a: PendraApp) { app = a }

    var screen: HTTPHeadScreen { { [self] head in app.flatMap { $0.screen(head) } } }
    var handler: HTTPHandler { { [self] request, writer in await app?.handler(request, writer) } }
}
