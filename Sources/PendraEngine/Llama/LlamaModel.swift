import CLlama
import Foundation

public typealias Token = Int32

public enum ModelLoadError: Error, CustomStringConvertible, Sendable {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)
    case contextFailed(path: String, reason: String)
    /// The load passed its deadline and was abandoned.
    case timedOut(path: String)

    public var description: String {
        switch self {
        case .notFound(let p): "model file not found: \(p)"
        case .unreadable(let p, let r): "cannot read model file \(p): \(r)"
        case .invalid(let p, let r): "cannot load model \(p): \(r)"
        case .contextFailed(let p, let r): "cannot create a context for \(p): \(r)"
        case .timedOut(let p): "loading \(p) took longer than load_timeout_seconds and was abandoned"
        }
    }
}

/// One loaded llama.cpp model. Owns the `llama_model` and frees it in deinit.
/// The model and its vocabulary are read-only after load, so tokenization
/// and detokenization are safe from any thread (llama.cpp documents the
/// tokenizer API as thread-safe); contexts are not, and live on one thread.
public final class LlamaModel: @unchecked Sendable {
    public let path: String
    let pointer: OpaquePointer
    let vocab: OpaquePointer
    public let vocabSize: Int
    public let trainContextLength: Int
    public let embeddingLength: Int
    public let layerCount: Int
    public let bos: Token
    public let eos: Token
    public let addsBOS: Bool
    public let hasEncoder: Bool
    public let hasDecoder: Bool
    /// Every token that ends a generation (EOS, EOT, <|im_end|>, ...).
    public let endOfGenerationTokens: [Token]
    /// Escapes the vocabulary's control-token texts in client strings.
    public let specialTextEscaper: SpecialTextEscaper

    /// Loads the weights. `gpuLayers < 0` puts every layer on the GPU when a GPU backend exists.
    /// Past `deadline` (DispatchTime uptime nanoseconds) the load stops
    /// between tensors and throws `timedOut`. `tensorSplit`: each device's
    /// share of the layers, in llama.cpp's device order (registered
    /// rpc-servers first, then local GPUs).
    public init(path: String, gpuLayers: Int = -1, useMmap: Bool = true, deadline: UInt64? = nil,
                tensorSplit: [Float]? = nil) throws {
        LlamaBackend.ensureInitialized()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ModelLoadError.notFound(path: path)
        }
        guard !isDir.boolValue else { throw ModelLoadError.unreadable(path: path, reason: "is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ModelLoadError.unreadable(path: path, reason: "permission denied")
        }
        // Check the header ourselves first: llama.cpp aborts on some malformed
        // files instead of returning NULL, and our reader names the problem.
        do { _ = try GGUFFile.read(path: path) } catch {
            throw ModelLoadError.invalid(path: path, reason: "\(error)")
        }
        var params = llama_model_default_params()
        params.n_gpu_layers = Int32(clamping: gpuLayers < 0 ? 999 : gpuLayers)
        if !useMmap { params.load_mode = LLAMA_LOAD_MODE_NONE }
        let watch = deadline.map { LoadDeadline($0) }
        if let watch {
            params.progress_callback_user_data = Unmanaged.passUnretained(watch).toOpaque()
            params.progress_callback = { _, user in
                guard let user else { return true }
                return Unmanaged<LoadDeadline>.fromOpaque(user).takeUnretainedValue().check()
            }
        }
        // llama.cpp reads llama_max_devices() floats: pad the split with zeros.
        var split = tensorSplit.map { $0 + Array(repeating: 0, count: max(0, llama_max_devices() - $0.count)) } ?? []
        let loaded = withExtendedLifetime(watch) {
            split.withUnsafeMutableBufferPointer { buf -> OpaquePointer? in
                if tensorSplit != nil { params.tensor_split = UnsafePointer(buf.baseAddress) }
                return llama_model_load_from_file(path, params)
            }
        }
        if watch?.expired == true {
            if let loaded { llama_model_free(loaded) }
            throw ModelLoadError.timedOut(path: path)
        }
        guard let model = loaded else {
            throw ModelLoadError.invalid(path: path, reason: "llama.cpp could not load it (unsupported architecture or corrupt tensors; see the log)")
        }
        guard let vocab = llama_model_get_vocab(model) else {
            llama_model_free(model)
            throw ModelLoadError.invalid(path: path, reason: "model has no vocabulary")
        }
        self.path = path
        self.pointer = model
        self.vocab = vocab
        self.vocabSize = Int(llama_vocab_n_tokens(vocab))
        self.trainContextLength = Int(llama_model_n_ctx_train(model))
        self.embeddingLength = Int(llama_model_n_embd(model))
        self.layerCount = Int(llama_model_n_layer(model))
        self.bos = llama_vocab_bos(vocab)
        self.eos = llama_vocab_eos(vocab)
        self.addsBOS = llama_vocab_get_add_bos(vocab)
        self.hasEncoder = llama_model_has_encoder(model)
        self.hasDecoder = llama_model_has_decoder(model)
        self.endOfGenerationTokens = (0..<Token(llama_vocab_n_tokens(vocab))).filter { llama_vocab_is_eog(vocab, $0) }
        self.specialTextEscaper = SpecialTextEscaper(specialTexts: Self.controlTokenTexts(vocab))
    }

    /// Texts that `llama_tokenize` with parsing on turns into control tokens
    /// (control and unknown attributes; user-defined ones match either way).
    private static func controlTokenTexts(_ vocab: OpaquePointer) -> [String] {
        let special = LLAMA_TOKEN_ATTR_CONTROL.rawValue | LLAMA_TOKEN_ATTR_UNKNOWN.rawValue
        var out: [String] = []
        for t in 0..<llama_vocab_n_tokens(vocab) where llama_vocab_get_attr(vocab, t).rawValue & special != 0 {
            if let p = llama_vocab_get_text(vocab, t) { out.append(String(cString: p)) }
        }
        return out
    }

    deinit { llama_model_free(pointer) }

    /// Bytes of weights.
    public var sizeBytes: UInt64 { llama_model_size(pointer) }
    public var parameterCount: UInt64 { llama_model_n_params(pointer) }

    /// What llama.cpp's memory for this model can do with a cached prefix
    /// (before context settings: a full-size SWA cache behaves as unified).
    public var memoryKind: MemoryKind {
        if llama_model_is_recurrent(pointer) || llama_model_is_hybrid(pointer) { return .recurrent }
        let window = Int(llama_model_n_swa(pointer))
        return window > 0 ? .slidingWindow(window: window) : .unified
    }

    /// The model's own chat template (tokenizer.chat_template), if it has one.
    public var chatTemplate: String? {
        guard let t = llama_model_chat_template(pointer, nil) else { return nil }
        return String(cString: t)
    }

    /// Text of a token as stored in the vocabulary (for special-token names).
    public func tokenText(_ token: Token) -> String? {
        guard token >= 0, Int(token) < vocabSize, let p = llama_vocab_get_text(vocab, token) else { return nil }
        return String(cString: p)
    }

    public func isEndOfGeneration(_ token: Token) -> Bool { llama_vocab_is_eog(vocab, token) }

    /// Tokenizes text. `addSpecial` adds BOS (when the model wants it);
    /// `parseSpecial` turns special-token text such as `<|eot_id|>` into its
    /// token, which rendered chat templates need.
    public func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Token] {
        var utf8 = Array(text.utf8)
        if utf8.isEmpty && !addSpecial { return [] }
        let length = Int32(clamping: utf8.count)
        var capacity = utf8.count + 8
        while true {
            var out = [Token](repeating: 0, count: capacity)
            let n = utf8.withUnsafeMutableBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                    llama_tokenize(vocab, chars, length, &out, Int32(clamping: capacity), addSpecial, parseSpecial)
                }
            }
            if n >= 0 { out.removeSubrange(Int(n)...); return out }
            if n == Int32.min { return [] }
            capacity = Int(-n)
        }
    }

    /// Bytes of one token's text (not necessarily valid UTF-8 on its own).
    /// Special tokens render as empty unless `special`.
    public func piece(_ token: Token, special: Bool = false, into buffer: inout [UInt8]) {
        // Stack scratch: this runs once per generated token on the engine thread.
        let n = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { scratch -> Int32 in
            let n = llama_token_to_piece(vocab, token, scratch.baseAddress, 256, 0, special)
            if n > 0 {
                scratch.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: Int(n)) {
                    buffer.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(n)))
                }
            }
            return n
        }
        guard n < 0 else { return }
        // Longer than 256 bytes: rare (some added tokens), take the slow path.
        var big = [CChar](repeating: 0, count: Int(-n))
        let m = llama_token_to_piece(vocab, token, &big, Int32(big.count), 0, special)
        if m > 0 { buffer.append(contentsOf: big[..<Int(m)].map { UInt8(bitPattern: $0) }) }
    }

    /// Whole-sequence detokenization (for tests and tools, not the hot path).
    public func detokenize(_ tokens: [Token], special: Bool = false) -> String {
        var bytes: [UInt8] = []
        for t in tokens { piece(t, special: special, into: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
