#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes whole lines to a file descriptor with `write(2)`, one call per line when it fits,
/// serialised so lines from concurrent tasks never interleave.
///
/// A line that cannot be written is dropped and the worker goes on: a closed descriptor
/// (`2>&-`), a log pipe whose reader went away (a log shipper that died, journald restarting
/// under a unit with `IgnoreSIGPIPE=yes`, systemd's default), a full disk under a redirected
/// file. Logs are not the record of truth (the inbox is), and a worker that stopped for its
/// logs would stop sending sales. Foundation's `FileHandle.write(_:)` traps on any write
/// error instead, so a worker died at its next log line. SIGPIPE is ignored at start
/// (``WorkerCommand``) so a broken pipe returns `EPIPE` here instead of killing the process.
enum LineWriter {
    private static let lock = NSLock()

    /// Writes `line` (which should end in a newline) to `descriptor`; `false` when it was
    /// dropped, whole or in part.
    @discardableResult
    static func write(_ line: String, to descriptor: Int32) -> Bool {
        var line = line
        return line.withUTF8 { bytes in
            lock.lock()
            defer { lock.unlock() }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}
