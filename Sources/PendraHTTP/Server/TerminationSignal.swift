#if canImport(Glibc)
import Glibc
#endif

/// Write end of the self-pipe the SIGINT/SIGTERM handler writes to.
nonisolated(unsafe) private var terminationPipeWriteFD: Int32 = -1

extension HTTPServer {
    /// Blocks the calling thread until the process receives SIGINT or
    /// SIGTERM, so `main` can then call `shutdown(gracePeriod:)`. A second
    /// signal after this returns terminates the process as usual.
    public static func waitForTerminationSignal() {
        awaitTermination(installTerminationHandler())
    }

    /// Installs a handler that writes one byte to a pipe (async-signal-safe);
    /// returns the pipe's read end.
    static func installTerminationHandler() -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return -1 }
        terminationPipeWriteFD = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(terminationPipeWriteFD, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_RESTART)
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        return fds[0]
    }

    /// Waits for the handler's byte, then restores the default dispositions.
    static func awaitTermination(_ readFD: Int32) {
        guard readFD >= 0 else { return }
        var byte: UInt8 = 0
        while read(readFD, &byte, 1) < 0 && errno == EINTR {}
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        close(readFD)
    }
}
