import Foundation

/// SHA-256 of each configured GGUF file, for Ollama's `digest` fields.
/// Hashing a multi-GB file takes seconds, so it starts in the background at
/// start-up, one file at a time at utility priority, and is never repeated;
/// a request that needs a digest not done yet waits for that one only.
final class ModelDigests: @unchecked Sendable {
    private enum State {
        case pending([CheckedContinuation<String?, Never>])
        case done(String?)
    }

    private let lock = NSLock()
    private var states: [String: State] = [:]
    private let queue = DispatchQueue(label: "pendra.digests", qos: .utility)

    /// `files`: model id -> path, in the order they are hashed.
    init(files: [(id: String, path: String)]) {
        for f in files { states[f.id] = .pending([]) }
        queue.async { [weak self] in
            for f in files {
                let digest = try? SHA256Stream.file(f.path)
                self?.resolve(f.id, digest)
            }
        }
    }

    private func resolve(_ id: String, _ digest: String?) {
        let waiters = lock.withLock { () -> [CheckedContinuation<String?, Never>] in
            guard case .pending(let w) = states[id] else { return [] }
            states[id] = .done(digest)
            return w
        }
        for c in waiters { c.resume(returning: digest) }
    }

    /// The hex digest; nil for an unknown id or an unreadable file.
    func digest(_ id: String) async -> String? {
        await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
            let now = lock.withLock { () -> String?? in
                switch states[id] {
                case nil: return .some(nil)
                case .done(let d): return .some(d)
                case .pending(var w):
                    w.append(c)
                    states[id] = .pending(w)
                    return nil
                }
            }
            if let now { c.resume(returning: now) }
        }
    }
}
