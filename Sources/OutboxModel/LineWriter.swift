import Foundation

#if canImport(Glibc)
import Glibc

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    Glibc.write(descriptor, bytes, count)
}
#elseif canImport(Darwin)
import Darwin

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    Darwin.write(descriptor, bytes, count)
}
#endif

/// Writes whole lines to a file descriptor with `write(2)`, one call per line when it fits,
/// serialised so lines from concurrent tasks never interleave, and says when one could not be
/// written instead of trapping as Foundation's `FileHandle.write(_:)` does on any write error.
///
/// The worker drops such a line and goes on: a log pipe whose reader went away (a log shipper
/// that died, journald restarting under a unit with `IgnoreSIGPIPE=yes`, systemd's default), a
/// full disk under a redirected file. (A descriptor closed at start gets `/dev/null` first:
/// ``guardStandardDescriptors()``.) Logs are not the record of truth (the inbox is), and a worker that stopped for its
/// logs would stop sending sales; it ignores SIGPIPE at start so a broken pipe returns `EPIPE`
/// here instead of killing it. The `outbox` CLI stops with exit status 1 and a message when its
/// output cannot be written (its output is what the operator asked for).
public enum LineWriter {
    private static let lock = NSLock()

    /// Writes `line` (which should end in a newline) to `descriptor`. Returns `nil` when it was
    /// written whole, else the `errno` of the failed `write(2)` (the line may be cut short).
    @discardableResult
    public static func write(_ line: String, to descriptor: Int32) -> Int32? {
        var line = line
        return line.withUTF8 { bytes in
            lock.lock()
            defer { lock.unlock() }
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    // 0 bytes written for a non-empty line: no progress possible (EIO).
                    return written < 0 ? errno : EIO
                }
            }
            return nil
        }
    }

    /// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed (a process started
    /// with `2>&-`), so that no file or socket opened later takes that number and receives lines
    /// meant for stderr or stdout: a database connection or a Paywall socket would. Call it
    /// first thing in `main`, before anything opens a descriptor.
    public static func guardStandardDescriptors() {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            guard fcntl(descriptor, F_GETFD) == -1 && errno == EBADF else { continue }
            // The lowest free number: this one, as the ones below it are open by now.
            let opened = open("/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY)
            if opened >= 0 && opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
    }
}
