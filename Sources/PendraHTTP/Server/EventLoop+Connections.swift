import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Accepting, reading, applying state-machine actions, writing and closing.
extension EventLoop {
    func acceptConnections(now: Double) {
        for _ in 0..<256 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                let code = errno
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    // Out of descriptors: stop polling the listener briefly instead of spinning.
                    modify(listenFD, events: 0)
                    acceptPausedUntil = now + 0.1
                }
                return
            }
            if connections.count >= config.maxConnections {
                let bytes = HTTPResponseEncoder.error(status: 503, detail: "Too many connections")
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                shutdown(fd, Int32(SHUT_WR))
                close(fd)
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            SocketSupport.setNoDelay(fd)
            nextID += 1
            let loop = self
            let channel = ConnectionChannel(id: nextID, maxOutputBytes: config.maxOutputBufferBytes) { loop.wake($0) }
            let limits = HTTPParser.Limits(maxHeaderBytes: config.maxHeaderBytes, maxBodyBytes: config.maxBodyBytes,
                                           maxRequestLineBytes: min(config.maxHeaderBytes, 8 * 1024))
            let machine = ConnectionStateMachine(
                limits: limits, timeouts: .init(header: config.headerTimeout, idle: config.idleTimeout, body: config.bodyTimeout),
                screen: makeScreen())
            let connection = Connection(fd: fd, remoteAddress: SocketSupport.describe(storage).text, channel: channel, machine: machine)
            connections[fd] = connection
            connectionsByID[channel.id] = connection
            setCount(connections.count)
            connection.interest = connection.desiredInterest
            register(fd, events: connection.interest)
            perform(connection.machine.start(now: now), on: connection, now: now)
            if stopDeadline != nil {
                channel.markDraining()
                perform(connection.machine.stopKeepAlive(), on: connection, now: now)
            }
        }
    }

    func handle(_ connection: Connection, events: UInt32, now: Double) {
        if events & Epoll.pollIn != 0 {
            switch connection.read(into: readBuffer) {
            case .data(let n):
                if !connection.isLingering {
                    let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])
                    perform(connection.machine.bytesReceived(bytes, now: now), on: connection, now: now)
                    chargeBuffer(connection, now: now)
                }
            case .wouldBlock:
                break
            case .closed:
                return closeNow(connection)
            }
        } else if events & (Epoll.pollRdHup | Epoll.pollHup | Epoll.pollErr) != 0 {
            return closeNow(connection)
        }
        guard connections[connection.fd] === connection else { return }
        if events & Epoll.pollOut != 0 { flush(connection, now: now) }
        updateInterest(connection)
    }

    /// A handler thread queued output or finished its response.
    func channelReady(_ connection: Connection, now: Double) {
        let events = connection.channel.takeEvents()
        if events.dropped { return closeNow(connection) }
        if events.started { connection.machine.responseStarted() }
        if let close = events.completed {
            perform(connection.machine.responseComplete(close: close, now: now), on: connection, now: now)
        }
        guard connections[connection.fd] === connection else { return }
        chargeBuffer(connection, now: now)
        guard connections[connection.fd] === connection else { return }
        flush(connection, now: now)
        updateInterest(connection)
    }

    func perform(_ actions: [ConnectionStateMachine.Action], on connection: Connection, now: Double) {
        for action in actions {
            guard connections[connection.fd] === connection else { return }
            switch action {
            case .deliverRequest(var request):
                request.remoteAddress = connection.remoteAddress
                let generation = connection.channel.beginRequest()
                let writer = ConnectionWriter(channel: connection.channel, generation: generation, request: request,
                                              keepAlive: connection.machine.keepAlive && stopDeadline == nil)
                let handler = self.handler
                Task {
                    await handler(request, writer)
                    writer.handlerReturned()
                }
            case .sendContinue:
                connection.channel.enqueueRaw(HTTPResponseEncoder.continueResponse)
                flush(connection, now: now)
            case .sendRefusal(let bytes):
                connection.channel.enqueueRaw(bytes)
                connection.closeAfterFlush = true
                flush(connection, now: now)
            case .sendError(let error):
                connection.channel.enqueueRaw(HTTPResponseEncoder.error(status: error.status, detail: error.detail,
                                                                        path: connection.machine.parser.currentPath))
                connection.closeAfterFlush = true
                flush(connection, now: now)
            case .close:
                if connection.machine.state == .closed { return closeNow(connection) }
                connection.closeAfterFlush = true
                flush(connection, now: now)
            case .scheduleTimeout:
                break  // The timer scan reads `machine.deadline`.
            }
        }
        if connections[connection.fd] === connection { updateInterest(connection) }
    }

    func flush(_ connection: Connection, now: Double) {
        guard !connection.isLingering else { return }
        switch connection.flush() {
        case .drained:
            if connection.closeAfterFlush { connection.startLingering(until: now + Self.lingerSeconds) }
        case .blocked:
            break
        case .failed:
            closeNow(connection)
        }
    }

    func updateInterest(_ connection: Connection) {
        let desired = connection.desiredInterest
        if desired != connection.interest {
            connection.interest = desired
            modify(connection.fd, events: desired)
        }
    }

    func closeNow(_ connection: Connection) {
        guard connections[connection.fd] === connection else { return }
        Epoll.control(epollFD, Epoll.ctlDel, connection.fd, events: 0)
        close(connection.fd)
        connections[connection.fd] = nil
        connectionsByID[connection.channel.id] = nil
        bufferedBytes -= connection.chargedBytes
        connection.chargedBytes = 0
        setCount(connections.count)
        connection.channel.markClosed()
    }
}
