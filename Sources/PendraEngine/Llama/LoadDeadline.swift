import Foundation

/// A model load's deadline, checked by llama.cpp's progress callback between
/// tensors: answering false makes `llama_model_load_from_file` stop reading
/// and return NULL, so a load that hangs on a slow disk or network mount ends
/// at its deadline instead of holding the load queue.
final class LoadDeadline: @unchecked Sendable {
    let deadline: UInt64
    private(set) var expired = false
    private let now: () -> UInt64

    init(_ deadline: UInt64, clock: @escaping () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.deadline = deadline
        self.now = clock
    }

    /// True to go on loading. Called on the loading thread only.
    func check() -> Bool {
        if now() >= deadline { expired = true }
        return !expired
    }
}
