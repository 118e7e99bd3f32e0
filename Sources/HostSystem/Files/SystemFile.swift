import Glibc
import SystemPackage

/// Reads and writes kernel control files (procfs, cgroupfs) with plain system calls.
///
/// Why not Foundation: a cgroup file answers a rejected write with a precise `errno` (`EBUSY` for a limit
/// below usage, `ESRCH` for a pid that is gone, `EINVAL` for bad syntax), and the whole value must go out in
/// one `write(2)`; Foundation's file APIs hide both. Files here report a size of 0, so reads go to EOF.
package enum SystemFile {
    /// The whole file as text.
    package static func read(_ path: String) throws(SystemError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SystemError("open", path: path, "cannot open for reading", errno: .last)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path: path, "read failed", errno: .last)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The file as text, or `nil` when it cannot be read; for sources that treat a missing signal as absent.
    package static func readIfPresent(_ path: String) -> String? {
        try? read(path)
    }

    /// Writes `text` to an existing file in one `write(2)`.
    package static func write(_ text: String, to path: String) throws(SystemError) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SystemError("open", path: path, "cannot open for writing", errno: .last)
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var written: Int
        repeat {
            written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        } while written < 0 && errno == EINTR
        guard written == bytes.count else {
            throw SystemError("write", path: path, "cannot write \"\(text)\"", errno: written < 0 ? .last : nil)
        }
    }

    /// `strerror` as a Swift string.
    package static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "unknown error" }
        return String(cString: text)
    }
}
