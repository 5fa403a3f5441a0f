#if canImport(Glibc)
import Glibc
#endif

/// One accepted socket as the event loop sees it: the state machine, the
/// bytes being sent, and the epoll interest. Used only on the loop thread.
final class Connection {
    enum ReadResult { case data(Int), wouldBlock, closed }
    enum FlushResult { case drained, blocked, failed }

    let fd: Int32
    let remoteAddress: String
    let channel: ConnectionChannel
    var machine: ConnectionStateMachine
    /// Bytes taken from the channel and not yet sent.
    private var outbox: [UInt8] = []
    private var outboxOffset = 0
    /// Close once the output is drained (errors, `Connection: close`, timeouts).
    var closeAfterFlush = false
    /// Set once the write side is shut: reads are discarded until EOF or this time.
    var lingerDeadline: Double?
    /// What this connection counts for in the loop's `bufferedBytes`.
    var chargedBytes = 0
    /// The epoll events currently registered.
    var interest: UInt32 = 0
    var isLingering: Bool { lingerDeadline != nil }

    init(fd: Int32, remoteAddress: String, channel: ConnectionChannel, machine: ConnectionStateMachine) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.channel = channel
        self.machine = machine
    }

    /// One non-blocking read into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n > 0 { return .data(n) }
            if n == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }

    /// Sends queued output until it is gone or the socket is full.
    func flush() -> FlushResult {
        while true {
            if outboxOffset == outbox.count {
                outbox = channel.takeOutput()
                outboxOffset = 0
                if outbox.isEmpty { return .drained }
            }
            let n = outbox.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + outboxOffset, raw.count - outboxOffset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                outboxOffset += n
                channel.didSend(n)
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .blocked
            default: return .failed
            }
        }
    }

    /// Shuts the write side so the client sees the end of the response, then
    /// keeps reading for a while so that unread request bytes do not turn the
    /// close into a reset that could destroy the response in flight.
    func startLingering(until deadline: Double) {
        shutdown(fd, Int32(SHUT_WR))
        lingerDeadline = deadline
    }

    /// The events the loop should wait for now.
    var desiredInterest: UInt32 {
        var events = Epoll.pollRdHup
        if isLingering || machine.wantsInput { events |= Epoll.pollIn }
        if outboxOffset < outbox.count { events |= Epoll.pollOut }
        return events
    }
}
