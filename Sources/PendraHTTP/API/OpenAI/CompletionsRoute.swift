/// POST /v1/completions: raw text completion is not served by the in-process
/// llama.cpp backend (seeds/002): 415 with a pointer to chat completions.
struct CompletionsRoute {
    func handle(_ ctx: RequestContext) async {
        ctx.fail(APIError(status: 415, message: "This worker runs the in-process llama.cpp backend, which does not serve raw text completions (/v1/completions). Use POST /v1/chat/completions instead, or send this request to a worker running Ollama, vLLM or LM Studio.",
                          openAIType: "invalid_request_error", code: "unsupported_endpoint"))
    }
}
