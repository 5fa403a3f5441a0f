#if canImport(Glibc)
import Glibc
#endif

/// epoll and eventfd, which the Glibc module does not export. The functions
/// are looked up once with `dlsym` and called through C function pointers;
/// `struct epoll_event` is handled as raw bytes (packed on x86_64).
enum Epoll {
    static let pollIn: UInt32 = 0x001
    static let pollOut: UInt32 = 0x004
    static let pollErr: UInt32 = 0x008
    static let pollHup: UInt32 = 0x010
    static let pollRdHup: UInt32 = 0x2000
    static let ctlAdd: Int32 = 1
    static let ctlDel: Int32 = 2
    static let ctlMod: Int32 = 3
    static let cloexec: Int32 = 0o2000000
    static let eventfdNonblock: Int32 = 0o4000

    #if arch(x86_64)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    private typealias Create1 = @convention(c) (Int32) -> Int32
    private typealias Ctl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    private typealias EventFD = @convention(c) (UInt32, Int32) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("libc lacks \(name)")
        }
        return unsafeBitCast(pointer, to: type)
    }

    nonisolated(unsafe) private static let create1Fn = symbol("epoll_create1", as: Create1.self)
    nonisolated(unsafe) private static let ctlFn = symbol("epoll_ctl", as: Ctl.self)
    nonisolated(unsafe) private static let waitFn = symbol("epoll_wait", as: Wait.self)
    nonisolated(unsafe) private static let eventfdFn = symbol("eventfd", as: EventFD.self)

    static func create() -> Int32 { create1Fn(cloexec) }

    static func makeEventFD() -> Int32 { eventfdFn(0, eventfdNonblock | cloexec) }

    /// Adds, modifies or deletes `fd` with `events`; the event's data is the fd.
    @discardableResult
    static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32) -> Int32 {
        var raw = [UInt8](repeating: 0, count: 16)
        return raw.withUnsafeMutableBytes { buffer in
            buffer.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            buffer.storeBytes(of: UInt64(UInt32(bitPattern: fd)), toByteOffset: dataOffset, as: UInt64.self)
            return ctlFn(epfd, op, fd, buffer.baseAddress)
        }
    }

    /// A reusable array of ready events.
    struct Events {
        let capacity: Int
        let buffer: UnsafeMutableRawBufferPointer

        init(capacity: Int) {
            self.capacity = capacity
            buffer = .allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
        }

        func deallocate() { buffer.deallocate() }

        subscript(i: Int) -> (fd: Int32, events: UInt32) {
            let base = i * Epoll.eventSize
            let events = buffer.loadUnaligned(fromByteOffset: base, as: UInt32.self)
            let data = buffer.loadUnaligned(fromByteOffset: base + Epoll.dataOffset, as: UInt64.self)
            return (Int32(truncatingIfNeeded: data), events)
        }
    }

    /// Waits up to `timeoutMS`; returns the number of ready events (0 on EINTR).
    static func wait(_ epfd: Int32, into events: Events, timeoutMS: Int32) -> Int {
        let n = waitFn(epfd, events.buffer.baseAddress, Int32(events.capacity), timeoutMS)
        return n < 0 ? 0 : Int(n)
    }
}
