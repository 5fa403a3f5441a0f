import CLlama
import Foundation

/// One request's llama.cpp sampler chain, built from its parameters. Owned
/// and used by the engine thread only; freed with the request.
///
/// Order follows llama-server: biases and penalties reshape the logits,
/// the grammar masks impossible tokens, then truncation (top-k, top-p,
/// min-p), temperature, and the final pick (seeded or greedy).
final class SamplerChain: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<llama_sampler>
    /// Greedy with nothing reshaping the logits: the pick is a plain argmax,
    /// done on the logits directly instead of filling a candidate per token
    /// of the vocabulary first (the chain has no state to update).
    private let plainGreedy: Bool
    private let vocabSize: Int
    /// A grammar constrains the output: sample through `sampleWellFormed`.
    let hasGrammar: Bool
    /// Where the output stands inside a UTF-8 character (UTF8TokenTable).
    private var utf8State = UTF8TokenTable.complete
    /// The grammar's place in the chain, to ask it alone about one token.
    private var grammarIndex: Int32?

    init(_ p: SamplingParameters, model: LlamaModel) throws(EngineError) {
        var cp = llama_sampler_chain_default_params()
        cp.no_perf = true
        guard let chain = llama_sampler_chain_init(cp) else { throw .backend("cannot create a sampler chain") }
        pointer = chain
        vocabSize = model.vocabSize
        hasGrammar = p.grammar != nil
        plainGreedy = p.temperature <= 0 && p.logitBias.isEmpty && p.grammar == nil
            && p.repetitionPenalty == 1 && p.frequencyPenalty == 0 && p.presencePenalty == 0

        if !p.logitBias.isEmpty {
            let biases = p.logitBias.sorted { $0.key < $1.key }
                .filter { $0.key >= 0 && Int($0.key) < model.vocabSize }
                .map { llama_logit_bias(token: $0.key, bias: $0.value) }
            biases.withUnsafeBufferPointer { b in
                llama_sampler_chain_add(chain, llama_sampler_init_logit_bias(
                    Int32(model.vocabSize), Int32(b.count), b.baseAddress))
            }
        }
        if p.repetitionPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_penalties(
                Int32(model.vocabSize), Int32(p.penaltyWindow), p.repetitionPenalty, p.frequencyPenalty, p.presencePenalty))
        }
        if let grammar = p.grammar {
            guard let g = llama_sampler_init_grammar(model.vocab, grammar, "root") else {
                llama_sampler_free(chain)
                throw .invalidRequest("the output grammar could not be parsed")
            }
            grammarIndex = llama_sampler_chain_n(chain)
            llama_sampler_chain_add(chain, g)
        }
        if p.temperature <= 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_greedy())
            return
        }
        if p.topK > 0 { llama_sampler_chain_add(chain, llama_sampler_init_top_k(Int32(p.topK))) }
        if p.topP < 1 { llama_sampler_chain_add(chain, llama_sampler_init_top_p(p.topP, 1)) }
        if p.minP > 0 { llama_sampler_chain_add(chain, llama_sampler_init_min_p(p.minP, 1)) }
        llama_sampler_chain_add(chain, llama_sampler_init_temp(p.temperature))
        let seed = p.seed ?? UInt32.random(in: 0...UInt32.max)
        llama_sampler_chain_add(chain, llama_sampler_init_dist(seed))
    }

    deinit { llama_sampler_free(pointer) }

    /// Samples from the logits of batch position `index` and records the
    /// token in the chain's history (penalties, grammar state).
    func sample(_ context: LlamaContext, index: Int32) -> Token {
        if plainGreedy, let logits = context.logits(at: index) {
            var best: Int32 = 0
            var bestValue = logits[0]
            for i in 1..<vocabSize where logits[i] > bestValue {
                bestValue = logits[i]
                best = Int32(i)
            }
            return best
        }
        return llama_sampler_sample(pointer, context.pointer, index)
    }

    /// Takes `token` as the next one without sampling (the engine closing a
    /// spent reasoning budget), recorded in the chain's history like a
    /// sampled one. Refused (false) when the grammar forbids it here, since
    /// llama.cpp aborts on a token its grammar cannot accept.
    func force(_ token: Token, table: UTF8TokenTable?) -> Bool {
        if let i = grammarIndex, let grammar = llama_sampler_chain_get(pointer, i) {
            var data = llama_token_data(id: token, logit: 0, p: 0)
            let allowed = withUnsafeMutablePointer(to: &data) { p in
                var one = llama_token_data_array(data: p, size: 1, selected: -1, sorted: false)
                llama_sampler_apply(grammar, &one)
                return p.pointee.logit != -.infinity
            }
            guard allowed else { return false }
            if let table, table.vocabSize == vocabSize {
                let after = table.after(Int(token), from: utf8State)
                utf8State = after == UTF8TokenTable.invalid ? UTF8TokenTable.complete : after
            }
        }
        llama_sampler_accept(pointer, token)
        return true
    }

    /// `sample` for a grammar-constrained sequence: tokens that would make
    /// the output ill-formed UTF-8 are masked before the chain runs, so the
    /// characters the grammar counted are the characters the client gets.
    /// (What `llama_sampler_sample` does, with the mask added.)
    /// `candidates` holds one entry per token; the engine lends the same one
    /// to every sequence (sampling is sequential on its thread).
    func sampleWellFormed(_ context: LlamaContext, index: Int32, table: UTF8TokenTable,
                          candidates cand: UnsafeMutablePointer<llama_token_data>) -> Token {
        guard let logits = context.logits(at: index), table.vocabSize == vocabSize else {
            return sample(context, index: index)
        }
        let state = utf8State
        for i in 0..<vocabSize {
            let ok = table.after(i, from: state) != UTF8TokenTable.invalid
            cand[i] = llama_token_data(id: Int32(i), logit: ok ? logits[i] : -.infinity, p: 0)
        }
        var array = llama_token_data_array(data: cand, size: vocabSize, selected: -1, sorted: false)
        llama_sampler_apply(pointer, &array)
        guard array.selected >= 0, array.selected < array.size else {
            return sample(context, index: index)
        }
        let token = array.data[Int(array.selected)].id
        llama_sampler_accept(pointer, token)
        let after = table.after(Int(token), from: state)
        utf8State = after == UTF8TokenTable.invalid ? UTF8TokenTable.complete : after
        return token
    }
}
