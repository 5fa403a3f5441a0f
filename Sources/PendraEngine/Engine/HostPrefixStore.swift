import Foundation
import Synchronization

/// Live numbers of a chat model's host-RAM prefix cache, for /metrics.
public struct HostCacheStats: Sendable, Equatable {
    /// Bytes the pool may hold (prefix_cache_ram_mb); 0: off.
    public var capacityBytes = 0
    public var bytes = 0
    public var entries = 0
}

/// What the host-RAM prefix cache did, told to an observer on the engine
/// thread (the HTTP layer turns these into counters and a histogram).
public enum HostCacheEvent: Sendable, Equatable {
    /// An admission restored a saved prefix, in this many seconds.
    case hit(seconds: Double)
    /// An admission the pool could not serve: nothing saved beat the cells.
    case miss
    /// A prefix leaving the cells was saved, this many bytes.
    case saved(bytes: Int)
    /// A saved prefix llama.cpp would not take back; the prompt was prefilled.
    case restoreFailed
}

/// The bytes of the host-RAM prefix cache: llama.cpp sequence states saved
/// with llama_state_seq_get_data, keyed by the scheduler's pool entry ids.
/// The scheduler's `HostPrefixPool` decides what is kept; this store only
/// copies states out and back in. Engine thread only, but `stats` and
/// `observe`, which any thread may call.
final class HostPrefixStore: @unchecked Sendable {
    private var states: [UInt64: [UInt8]] = [:]
    private let published = Mutex(HostCacheStats())
    private let observer = Mutex<(@Sendable (HostCacheEvent) -> Void)?>(nil)

    var stats: HostCacheStats { published.withLock { $0 } }

    func observe(_ o: @escaping @Sendable (HostCacheEvent) -> Void) { observer.withLock { $0 = o } }

    private func emit(_ e: HostCacheEvent) { observer.withLock { $0 }?(e) }

    /// Saves the state of every slot the scheduler marked as leaving the
    /// cells. Call before mirroring any of the edits that marked them: the
    /// slots still hold exactly the spills' tokens then, which is checked.
    func saveSpills(context: LlamaContext, scheduler: inout Scheduler) {
        let spills = scheduler.takeSpills()
        guard !spills.isEmpty else { return }
        for spill in spills {
            let seq = Int32(spill.slot)
            guard context.maxPosition(seq: seq) == spill.tokens.count - 1,
                  let state = context.saveState(seq: seq, .full, maxBytes: scheduler.pool.capacity) else { continue }
            let (id, dropped) = scheduler.recordSaved(spill, bytes: state.count,
                                                      firstPosition: context.minPosition(seq: seq))
            for d in dropped { states[d] = nil }
            if let id {
                states[id] = state
                emit(.saved(bytes: state.count))
            }
        }
        publish(scheduler.pool)
    }

    /// Restores a pooled prefix into the admission's slot and cuts it back
    /// to the reused length. False (the entry forgotten) when llama.cpp
    /// refuses: the caller prefills the prompt in full.
    func restore(_ admission: Admission, context: LlamaContext, scheduler: inout Scheduler) -> Bool {
        guard let id = admission.choice.restoreFrom else { return false }
        let seq = Int32(admission.choice.slot)
        let start = DispatchTime.now().uptimeNanoseconds
        var ok = false
        if let state = states[id] {
            // llama.cpp empties the sequence itself; done here too so a
            // refused restore never leaves the slot's old cells behind.
            context.removeTokens(seq: seq, from: 0)
            ok = context.restoreState(seq: seq, state, .full)
                && context.removeTokens(seq: seq, from: admission.choice.reused)
                && context.maxPosition(seq: seq) == admission.choice.reused - 1
        }
        if ok {
            emit(.hit(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        } else {
            states[id] = nil
            scheduler.forgetPooled(id)
            publish(scheduler.pool)
            emit(.restoreFailed)
        }
        return ok
    }

    /// Counts an admission that did not restore from an enabled pool.
    func countMiss(_ admission: Admission, pool: HostPrefixPool) {
        if pool.isEnabled && admission.choice.restoreFrom == nil { emit(.miss) }
    }

    func publish(_ pool: HostPrefixPool) {
        published.withLock {
            $0 = HostCacheStats(capacityBytes: pool.capacity, bytes: pool.bytesHeld, entries: pool.entries.count)
        }
    }
}
