import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// epoll and eventfd through the CSystem shim (Swift's Glibc module does not
/// export them). `epoll_event` is packed on x86_64; the Clang importer keeps
/// that layout, so the structs are used as C declares them.
enum Epoll {
    static let pollIn = EPOLLIN.rawValue
    static let pollOut = EPOLLOUT.rawValue
    static let pollErr = EPOLLERR.rawValue
    static let pollHup = EPOLLHUP.rawValue
    static let pollRdHup = EPOLLRDHUP.rawValue
    static let ctlAdd = EPOLL_CTL_ADD
    static let ctlDel = EPOLL_CTL_DEL
    static let ctlMod = EPOLL_CTL_MOD

    static func create() -> Int32 { epoll_create1(Int32(EPOLL_CLOEXEC)) }

    static func makeEventFD() -> Int32 { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }

    /// Adds, modifies or deletes `fd` with `events`; the event's data is the fd.
    @discardableResult
    static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32) -> Int32 {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        return epoll_ctl(epfd, op, fd, &event)
    }

    /// A reusable array of ready events.
    struct Events {
        let capacity: Int
        let buffer: UnsafeMutablePointer<epoll_event>

        init(capacity: Int) {
            self.capacity = capacity
            buffer = .allocate(capacity: capacity)
        }

        func deallocate() { buffer.deallocate() }

        subscript(i: Int) -> (fd: Int32, events: UInt32) {
            (buffer[i].data.fd, buffer[i].events)
        }
    }

    /// Waits up to `timeoutMS`; returns the number of ready events (0 on EINTR).
    static func wait(_ epfd: Int32, into events: Events, timeoutMS: Int32) -> Int {
        let n = epoll_wait(epfd, events.buffer, Int32(events.capacity), timeoutMS)
        return n < 0 ? 0 : Int(n)
    }
}
