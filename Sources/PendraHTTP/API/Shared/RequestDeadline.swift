import Foundation
import PendraEngine

/// One deadline for a whole request (the embedding routes): parsing,
/// tokenizing and the work itself all end when it passes, and the caller gets
/// `error` then, whatever is still running. Each stage gets a cancellation
/// flag that is set at the deadline, so the stage stops at its next check
/// instead of finishing unobserved. Time spent loading the model does not
/// count (`excluding`).
struct RequestDeadline {
    let error: APIError
    private var end: Double

    init(seconds: Double, error: APIError) {
        self.error = error
        self.end = Self.now() + seconds
    }

    /// The deadline of an embedding-model request (embeddings, Ollama embed,
    /// rerank): `embedding_timeout_seconds`, and a 504 that says how long
    /// that was (fractions kept: "0.3 s", not "0 s") and what to do instead.
    static func embedding(seconds: Double, advice: String, what: String = "Embedding") -> RequestDeadline {
        RequestDeadline(seconds: seconds, error: .timeout("\(what) request took longer than \(text(seconds)); \(advice)"))
    }

    /// "2 s" for whole seconds, "0.3 s" otherwise.
    static func text(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }

    var remaining: Double { max(0, end - Self.now()) }

    /// Runs `body` with the clock stopped (a model load has its own timeout).
    mutating func excluding<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = Self.now()
        defer { end += Self.now() - start }
        return try await body()
    }

    /// CPU work (JSON, tokenizing) on the work queue, cancelled at the deadline.
    func work<T: Sendable>(_ body: @escaping @Sendable (CancellationFlag) throws(APIError) -> T) async throws -> T {
        let cancel = CancellationFlag()
        return try await withDeadline(remaining, error: error, onTimeout: { cancel.cancel() }) {
            try await WorkQueue.run { () throws(APIError) in try body(cancel) }
        }
    }

    /// Engine work (an embedding batch) that checks the flag between decodes.
    func engine<T: Sendable>(_ body: @escaping @Sendable (CancellationFlag) async throws -> T) async throws -> T {
        let cancel = CancellationFlag()
        return try await withDeadline(remaining, error: error, onTimeout: { cancel.cancel() }) { try await body(cancel) }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

extension RequestBody {
    /// `parse` on the work queue: a 32 MB body must not hold a thread of
    /// Swift's cooperative pool, which also runs every stream's writer.
    static func read(_ request: HTTPRequest) async throws(APIError) -> RequestBody {
        try await WorkQueue.run { () throws(APIError) in try parse(request) }
    }
}

/// Runs `body` with a deadline. At `seconds` the caller gets `error` at once
/// (a task group would wait for a child that cannot be cancelled) and
/// `onTimeout` stops the work, which ends at its next check.
func withDeadline<T: Sendable>(_ seconds: Double, error: APIError, onTimeout: @escaping @Sendable () -> Void,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = FirstResult<T>()
    return try await withCheckedThrowingContinuation { c in
        race.install(c)
        Task {
            do { race.resume(.success(try await body())) } catch { race.resume(.failure(error)) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if race.resume(.failure(error)) { onTimeout() }
        }
    }
}

/// The first of several results resumes the continuation; later ones are dropped.
final class FirstResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?

    func install(_ c: CheckedContinuation<T, Error>) { lock.withLock { continuation = c } }

    /// True if this result was the first.
    @discardableResult
    func resume(_ result: Result<T, Error>) -> Bool {
        let c: CheckedContinuation<T, Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        c?.resume(with: result)
        return c != nil
    }
}
