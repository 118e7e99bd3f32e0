import Glibc
import SystemPackage

/// Makes and removes the small directories a VM works in with plain system calls.
///
/// Why not `FileManager`: it creates a file by writing a temporary one and renaming it, and removes a tree by
/// way of `fts` with a `stat` per entry; on a burst's hot path (a VM's teardown while others restore) that
/// was CPU the restores beside it did not get. These do one `open`, `unlink` or `rmdir` per entry.
///
/// ```swift
/// try DirectoryTree.createFile("/run/snapbench/vm-1/marker", contents: "pid=42\n")
/// try DirectoryTree.remove("/run/snapbench/vm-1")  // the directory and everything in it
/// ```
package enum DirectoryTree {
    /// Creates (or truncates) a file with `contents`, mode 0644.
    package static func createFile(_ path: String, contents: String = "") throws(SystemError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SystemError.last("open", path: path) }
        defer { close(descriptor) }
        guard !contents.isEmpty else { return }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError.last("write", path: path)
            }
            written += count
        }
    }

    /// Removes `path` and, when it is a directory, everything below it; a missing `path` is not an error.
    /// Symbolic links are removed, never followed.
    package static func remove(_ path: String) throws(SystemError) {
        if unlink(path) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else { throw SystemError.last("unlink", path: path) }
        let directory = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directory >= 0 else { throw SystemError.last("open", path: path) }
        try removeContents(of: directory, path: path)
        guard rmdir(path) == 0 || errno == ENOENT else { throw SystemError.last("rmdir", path: path) }
    }

    /// Empties the directory open as `directory` (closed on return).
    private static func removeContents(of directory: Int32, path: String) throws(SystemError) {
        // fdopendir owns the descriptor from here; closedir closes it.
        guard let stream = fdopendir(directory) else {
            close(directory)
            throw SystemError.last("fdopendir", path: path)
        }
        defer { closedir(stream) }
        var names: [(name: String, isDirectory: Bool)] = []
        while let entry = readdir(stream) {
            // The entry's name is a fixed-size C array in the dirent: read it in place (a system-call edge).
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
        }
        let parent = dirfd(stream)
        for (name, isDirectory) in names {
            if !isDirectory, unlinkat(parent, name, 0) == 0 || errno == ENOENT { continue }
            guard isDirectory || errno == EISDIR else { throw SystemError.last("unlink", path: path + "/" + name) }
            let child = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else {
                if errno == ENOENT { continue }
                throw SystemError.last("open", path: path + "/" + name)
            }
            try removeContents(of: child, path: path + "/" + name)
            guard unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw SystemError.last("rmdir", path: path + "/" + name)
            }
        }
    }
}
