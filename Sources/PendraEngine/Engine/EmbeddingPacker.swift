/// Which inputs of the waiting embedding requests go into the next decode.
/// Requests that arrive together share decodes (eight one-input requests
/// are one decode, not eight), and inputs are taken round-robin, one per
/// request per pass, so a one-input request that arrives behind a
/// 2,048-input batch rides in the batch's next decode instead of waiting for
/// all of it. Pure: the engine owns the requests, this only counts.
enum EmbeddingPacker {
    /// How many of each request's next inputs (their token counts, in
    /// order, `pending[j]`) the decode takes, within `sequences` sequence
    /// ids and `tokens` tokens. A request's inputs stay in order; one that
    /// does not fit ends that request's share of this decode. The first
    /// input is taken whatever its length (the caller has checked it fits
    /// one decode), so `tokens` may be a target below the batch size.
    static func takes(_ pending: [[Int]], sequences: Int, tokens: Int) -> [Int] {
        var take = Array(repeating: 0, count: pending.count)
        var blocked = Array(repeating: false, count: pending.count)
        var seqs = 0, used = 0
        var progressed = true
        while progressed && seqs < sequences {
            progressed = false
            for j in pending.indices where !blocked[j] && seqs < sequences {
                guard take[j] < pending[j].count, used == 0 || used + pending[j][take[j]] <= tokens else {
                    blocked[j] = true
                    continue
                }
                used += pending[j][take[j]]
                take[j] += 1
                seqs += 1
                progressed = true
            }
        }
        return take
    }
}
