import Foundation

/// SHA-256 of each configured GGUF file, for Ollama's `digest` fields.
/// Hashing a multi-GB file takes seconds, so it starts in the background at
/// start-up, one file at a time at utility priority, and is never repeated.
/// A request waits for a digest not done yet only briefly (`within`), then
/// answers without it: a listing never stalls on a large file.
final class ModelDigests: @unchecked Sendable {
    private enum State {
        case pending
        case done(String?)
    }

    private let lock = NSLock()
    private var states: [String: State] = [:]
    private let queue = DispatchQueue(label: "pendra.digests", qos: .utility)

    /// `files`: model id -> path, in the order they are hashed.
    init(files: [(id: String, path: String)]) {
        for f in files { states[f.id] = .pending }
        queue.async { [weak self] in
            for f in files {
                let digest = try? SHA256Stream.file(f.path)
                self?.resolve(f.id, digest)
            }
        }
    }

    private func resolve(_ id: String, _ digest: String?) {
        lock.withLock { states[id] = .done(digest) }
    }

    /// The digests of `ids` that are ready within `seconds` (waiting at
    /// most that long in all); missing ids are still hashing or unreadable.
    func digests(_ ids: [String], within seconds: Double) async -> [String: String] {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while true {
            let (ready, pending) = lock.withLock { () -> ([String: String], Bool) in
                var ready: [String: String] = [:]
                var pending = false
                for id in ids {
                    switch states[id] {
                    case .done(let d?): ready[id] = d
                    case .pending: pending = true
                    default: break
                    }
                }
                return (ready, pending)
            }
            if !pending || DispatchTime.now().uptimeNanoseconds >= deadline { return ready }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }
}
