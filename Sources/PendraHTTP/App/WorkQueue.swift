import Dispatch

/// Where CPU-heavy request work runs (JSON parsing of large bodies, template
/// rendering, tokenizing, grammar building, unload waits): its own threads,
/// never Swift's cooperative pool, which has one thread per core and also
/// runs every stream's writer. A 500 KB prompt rendered on that pool would
/// hold a thread for tens of milliseconds and stall other streams.
enum WorkQueue {
    static let queue = DispatchQueue(label: "pendra-work", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(APIError) -> T) async throws(APIError) -> T {
        let result: Result<T, APIError> = await withCheckedContinuation { c in
            queue.async {
                do throws(APIError) { c.resume(returning: .success(try body())) } catch { c.resume(returning: .failure(error)) }
            }
        }
        return try result.get()
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in queue.async { c.resume(returning: body()) } }
    }
}
