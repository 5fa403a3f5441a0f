import Foundation
import PendraEngine

// Admission of inference work: token limits reserved before the work (and
// settled after it), a bounded generation length, and the heavy steps of a
// request run off the cooperative pool.
extension PendraApp {
    /// Renders, tokenizes and builds the grammar on the work queue, bounds
    /// the generation by the context, reserves prompt + max tokens from the
    /// caller's token bucket, then submits.
    func admit(_ ctx: RequestContext, engine: ChatEngine, request: ChatRequest) async throws(APIError) -> (PreparedChat, GenerationStream) {
        var prepared = try await WorkQueue.run { () throws(APIError) -> PreparedChat in
            do throws(EngineError) { return try engine.prepare(request) } catch { throw APIError.from(error) }
        }
        // No max_tokens (with ignore_eos too) means "until the context is full".
        let room = max(1, engine.contextSize - prepared.tokens.count)
        let limit = min(prepared.generation.maxTokens ?? room, room)
        prepared.generation.maxTokens = limit
        try reserveTokens(ctx, prepared.tokens.count + limit)
        do throws(EngineError) {
            return (prepared, try engine.submit(prepared.generation))
        } catch {
            throw APIError.from(error)
        }
    }

    /// Takes `tokens` from the caller's bucket for this request (429 if they
    /// are not there); `account` settles it, `handle` refunds what is left.
    func reserveTokens(_ ctx: RequestContext, _ tokens: Int) throws(APIError) {
        switch limiter.reserve(org: ctx.organisation, tokens: tokens) {
        case .failure(let e): throw e
        case .success(let r?): ctx.ledger.reserve(r)
        case .success(nil): break
        }
    }

    /// Charges usage against the request's reservation, or directly.
    func chargeTokens(_ ctx: RequestContext, used: Int) {
        if let r = ctx.ledger.takeReservation() {
            limiter.settle(r, used: used)
        } else {
            limiter.charge(org: ctx.organisation, tokens: used)
        }
    }

    /// A request that ended without `account` (an error after admission)
    /// gets its whole reservation back.
    func releaseReservation(_ ctx: RequestContext) {
        if let r = ctx.ledger.takeReservation() { limiter.settle(r, used: 0) }
    }
}
