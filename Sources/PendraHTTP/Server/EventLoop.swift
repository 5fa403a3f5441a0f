import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one I/O thread: epoll over the listening socket, an eventfd for
/// wake-ups from handler threads, and every connection. Connections and their
/// state machines are touched only here.
final class EventLoop: @unchecked Sendable {
    let config: HTTPServerConfig
    let handler: HTTPHandler
    let screen: HTTPHeadScreen?
    /// Request bytes held by all connections (`Connection.chargedBytes` summed).
    var bufferedBytes = 0
    let clock: @Sendable () -> Double
    let epollFD: Int32
    let wakeFD: Int32
    var listenFD: Int32
    var connections: [Int32: Connection] = [:]
    var connectionsByID: [UInt64: Connection] = [:]
    var nextID: UInt64 = 0
    var acceptPausedUntil: Double?
    var stopDeadline: Double?
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    private let lock = NSLock()
    private var wakeQueue: [ConnectionChannel] = []
    private var requestedStop: Double?
    private var connectionCount = 0
    private let finished = DispatchSemaphore(value: 0)

    static let lingerSeconds = 2.0

    init(config: HTTPServerConfig, listenFD: Int32, screen: HTTPHeadScreen?, handler: @escaping HTTPHandler,
         clock: @escaping @Sendable () -> Double) throws(HTTPServerError) {
        self.config = config
        self.handler = handler
        self.screen = screen
        self.clock = clock
        self.listenFD = listenFD
        epollFD = Epoll.create()
        wakeFD = Epoll.makeEventFD()
        guard epollFD >= 0, wakeFD >= 0 else {
            throw .system(call: "epoll_create1/eventfd", address: config.host, errno: errno)
        }
        register(listenFD, events: Epoll.pollIn)
        register(wakeFD, events: Epoll.pollIn)
    }

    deinit { readBuffer.deallocate() }

    var activeConnections: Int { lock.withLock { connectionCount } }

    func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "pendra-http-loop"
        thread.start()
    }

    /// Any thread: stop accepting, finish in-flight work until `deadline`, then return.
    func stop(deadline: Double) {
        lock.withLock { requestedStop = deadline }
        signalWake()
        finished.wait()
    }

    /// Any thread: a channel has new output or events.
    func wake(_ channel: ConnectionChannel) {
        let first: Bool = lock.withLock {
            wakeQueue.append(channel)
            return wakeQueue.count == 1
        }
        if first { signalWake() }
    }

    private func signalWake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    func setCount(_ n: Int) { lock.withLock { connectionCount = n } }

    private func run() {
        let events = Epoll.Events(capacity: 256)
        defer { events.deallocate() }
        var nextTimerScan = 0.0
        while true {
            let n = Epoll.wait(epollFD, into: events, timeoutMS: 50)
            var now = clock()
            if n > 0 {
                for i in 0..<n {
                    let event = events[i], fd = event.fd
                    if fd == listenFD {
                        acceptConnections(now: now)
                    } else if fd == wakeFD {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, 8)
                    } else if let connection = connections[fd] {
                        handle(connection, events: event.events, now: now)
                    }
                }
            }
            drainWakeQueue(now: now)
            now = clock()
            if now >= nextTimerScan {
                scanTimers(now: now)
                nextTimerScan = now + 0.05
            }
            if let deadline = lock.withLock({ requestedStop }), stopDeadline == nil {
                beginStopping(deadline: deadline)
            }
            if let deadline = stopDeadline, now >= deadline || connections.values.allSatisfy(\.isLingering) {
                break
            }
        }
        for connection in Array(connections.values) { closeNow(connection) }
        close(epollFD)
        close(wakeFD)
    }

    private func drainWakeQueue(now: Double) {
        let channels: [ConnectionChannel] = lock.withLock {
            let q = wakeQueue
            wakeQueue = []
            return q
        }
        for channel in channels {
            guard let connection = connectionsByID[channel.id] else { continue }
            channelReady(connection, now: now)
        }
    }

    private func scanTimers(now: Double) {
        if let until = acceptPausedUntil, now >= until, listenFD >= 0 {
            acceptPausedUntil = nil
            modify(listenFD, events: Epoll.pollIn)
        }
        for connection in Array(connections.values) {
            if let linger = connection.lingerDeadline {
                if now >= linger { closeNow(connection) }
                continue
            }
            if let due = connection.machine.deadline, now >= due {
                perform(connection.machine.timerFired(now: now), on: connection, now: now)
            }
        }
    }

    private func beginStopping(deadline: Double) {
        stopDeadline = deadline
        if listenFD >= 0 {
            Epoll.control(epollFD, Epoll.ctlDel, listenFD, events: 0)
            close(listenFD)
            listenFD = -1
        }
        for connection in Array(connections.values) {
            connection.channel.markDraining()
            perform(connection.machine.stopKeepAlive(), on: connection, now: clock())
        }
    }

    func register(_ fd: Int32, events: UInt32) {
        Epoll.control(epollFD, Epoll.ctlAdd, fd, events: events)
    }

    func modify(_ fd: Int32, events: UInt32) {
        Epoll.control(epollFD, Epoll.ctlMod, fd, events: events)
    }
}
