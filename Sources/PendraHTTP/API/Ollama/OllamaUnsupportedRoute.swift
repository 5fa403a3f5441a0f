/// pull, push, create, copy, delete and blobs: Pendra serves the GGUF files
/// its config names and has no model registry to change. Each answers 400
/// in Ollama's `{"error": ...}` (the Ollama clients raise it with this text)
/// and says what to do instead; a blob probe (HEAD) is a plain 404, the
/// answer Ollama gives for a blob it lacks.
struct OllamaUnsupportedRoute {
    let app: PendraApp

    func refuse(_ ctx: RequestContext) async {
        let action = ctx.route.split(separator: "/").dropFirst().first.map(String.init) ?? "this"
        let served = app.store.ids.joined(separator: ", ")
        ctx.fail(.badRequest("Pendra serves the GGUF files named in its config; /api/\(action) is not supported, as it has no model registry to change. To serve another model, add its GGUF file to the config and restart. Served now: \(served)"))
    }

    func blobProbe(_ ctx: RequestContext) async {
        ctx.send(HTTPResponse(status: 404, headers: HTTPHeaders(), body: []))
    }
}
