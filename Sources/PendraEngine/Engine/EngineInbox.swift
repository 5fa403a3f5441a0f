import Foundation

/// Where other threads leave work for the engine thread. The lock is held
/// only to append or swap arrays, never while the engine computes.
final class EngineInbox: @unchecked Sendable {
    // A submission's sampler is created on the submitting thread and handed
    // over whole: after `submit` only the engine thread touches it.
    struct Submission {
        let id: UInt64
        let request: GenerationRequest
        let sampler: SamplerChain
        let continuation: AsyncStream<GenerationEvent>.Continuation
        let submitted: UInt64
    }

    private let condition = NSCondition()
    private var submissions: [Submission] = []
    private var cancellations: [UInt64] = []
    private var stopping = false
    /// Submitted but not yet admitted to a slot: the engine's waiting queue
    /// plus what sits here. Checked at submit so overload is refused at once.
    private var outstanding = 0

    /// Adds a submission unless `limit` requests are already waiting.
    func submit(_ s: Submission, limit: Int) -> EngineError? {
        condition.lock()
        defer { condition.unlock() }
        if stopping { return .shuttingDown }
        if outstanding >= limit { return .overloaded(limit: limit) }
        outstanding += 1
        submissions.append(s)
        condition.signal()
        return nil
    }

    func cancel(_ id: UInt64) {
        condition.lock()
        cancellations.append(id)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Called by the engine as sequences leave the waiting queue (admitted,
    /// cancelled, failed: negative) or rejoin it (preempted: positive).
    func adjustOutstanding(by n: Int) {
        guard n != 0 else { return }
        condition.lock()
        outstanding += n
        condition.unlock()
    }

    /// Sleeps until something is posted or `timeout` seconds pass; takes nothing.
    func waitForInput(timeout: Double) {
        condition.lock()
        defer { condition.unlock() }
        if submissions.isEmpty && cancellations.isEmpty && !stopping {
            _ = condition.wait(until: Date(timeIntervalSinceNow: timeout))
        }
    }

    /// Takes everything posted. With `wait`, sleeps until something arrives
    /// (or `timeout` seconds pass).
    func take(wait: Bool, timeout: Double = 1) -> (submissions: [Submission], cancellations: [UInt64], stopping: Bool) {
        condition.lock()
        defer { condition.unlock() }
        if wait && submissions.isEmpty && cancellations.isEmpty && !stopping {
            _ = condition.wait(until: Date(timeIntervalSinceNow: timeout))
        }
        let s = submissions, c = cancellations
        if !s.isEmpty { submissions.removeAll(keepingCapacity: true) }
        if !c.isEmpty { cancellations.removeAll(keepingCapacity: true) }
        return (s, c, stopping)
    }
}
