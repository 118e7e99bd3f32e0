import Foundation
import Glibc

/// A directory that only this user controls, made and checked before snapbench writes anything below it.
///
/// snapbench runs as root on shared KVM hosts and writes snapshots, sockets, drives and reports. A directory
/// another user made first (a predictable name in `/tmp` or `/dev/shm`), a symbolic link planted where a
/// directory was expected, or a directory others may write to would let that user choose where root writes.
/// So every directory snapbench writes below — the work and VM directories, `--output`, the directory of a
/// results store or a trace — goes through ``prepare(_:role:)``:
///
/// - each missing component is made with `mkdir(2)` at mode `0700` (never following a link: `mkdir` does not
///   follow one, and the result is checked with `lstat(2)` before going on);
/// - the directory itself must not be a symbolic link, must belong to this user and must not be writable by
///   others (group-writable only for the user's own private group);
/// - an existing ancestor others may write to must be sticky (`/tmp`, `/dev/shm`), so nobody can move the
///   directory away and put another in its place; an ancestor that is a link must belong to root or this user.
///
/// A directory that fails is refused with its path, what is wrong and the fix: never used, never replaced.
/// Anything below a checked directory is safe to make with ordinary calls, since only this user can write there.
///
/// ```swift
/// let work = try PrivateDirectory.prepare("/tmp/snapbench-1000", role: "work directory", flag: "--work-dir")
/// ```
package enum PrivateDirectory {
    /// Why a directory was refused.
    package struct Refusal: Error, Sendable, CustomStringConvertible, Equatable {
        /// The directory (or the component of its path) that was refused.
        package var path: String
        /// What it is for, e.g. "work directory".
        package var role: String
        /// What is wrong with it.
        package var problem: String
        /// What to do about it.
        package var fix: String

        package var description: String { "the \(role) \(path) \(problem); \(fix)" }
    }

    /// Makes `path` (and its missing parents, mode `0700`) and checks that only this user controls it.
    ///
    /// - Parameters:
    ///   - path: absolute, or relative to the working directory.
    ///   - role: what it is for, for the message (`"output directory"`).
    ///   - flag: the option that chooses it (`"--output"`), for the fix the message suggests.
    /// - Returns: the absolute path, `.` and `..` resolved.
    /// - Throws: ``Refusal`` naming the directory, what is wrong with it and the fix; or the `SystemError` of a
    ///   `mkdir` that failed for another reason (e.g. a read-only filesystem).
    @discardableResult
    package static func prepare(_ path: String, role: String, flag: String? = nil) throws -> String {
        let absolute = Self.absolute(path)
        let components = absolute.split(separator: "/").map(String.init)
        var current = ""
        for (index, component) in components.enumerated() {
            current += "/" + component
            let isLast = index == components.count - 1
            var info = stat()
            if lstat(current, &info) != 0 {
                guard errno == ENOENT else { throw SystemError.last("lstat", path: current) }
                if mkdir(current, 0o700) != 0, errno != EEXIST { throw SystemError.last("mkdir", path: current) }
                guard lstat(current, &info) == 0 else { throw SystemError.last("lstat", path: current) }
                // Made by us a moment ago: whatever stands here now must be our own directory.
                try check(current, info, role: role, fix: "remove it and run again")
                continue
            }
            if isLast {
                try check(current, info, role: role, fix: fix(for: current, flag: flag))
            } else {
                try checkAncestor(current, info, role: role)
            }
        }
        return absolute
    }

    /// `path` made absolute against the working directory, with `.`, `..` and repeated slashes resolved as text.
    package static func absolute(_ path: String) -> String {
        let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in base.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The directory itself: a real directory of this user's that others may not write to.
    private static func check(_ path: String, _ info: stat, role: String, fix: String) throws {
        let mode = info.st_mode & S_IFMT
        if mode == S_IFLNK {
            throw Refusal(path: path, role: role, problem: "is a symbolic link", fix: fix)
        }
        guard mode == S_IFDIR else {
            throw Refusal(path: path, role: role, problem: "is not a directory", fix: fix)
        }
        let me = geteuid()
        guard info.st_uid == me else {
            throw Refusal(
                path: path,
                role: role,
                problem: "belongs to \(userName(info.st_uid)), not to \(userName(me)), who runs snapbench",
                fix: fix
            )
        }
        if info.st_mode & S_IWOTH != 0 {
            throw Refusal(path: path, role: role, problem: "is writable by every user (mode \(octal(info)))", fix: fix)
        }
        if info.st_mode & S_IWGRP != 0, !isPrivateGroup(info.st_gid) {
            throw Refusal(
                path: path,
                role: role,
                problem: "is writable by the group \(groupName(info.st_gid)) (mode \(octal(info)))",
                fix: fix
            )
        }
    }

    /// An ancestor: it must belong to root or this user, and others may write to it only when it is sticky (so
    /// they cannot move what is below it away); a link in the path is judged by the directory it leads to.
    private static func checkAncestor(_ path: String, _ info: stat, role: String) throws {
        let fix = "choose a directory whose every parent only you or root can change"
        var info = info
        if info.st_mode & S_IFMT == S_IFLNK {
            guard info.st_uid == 0 || info.st_uid == geteuid() else {
                throw Refusal(
                    path: path,
                    role: role,
                    problem: "has a symbolic link in its path that belongs to \(userName(info.st_uid))",
                    fix: fix
                )
            }
            guard stat(path, &info) == 0 else { throw SystemError.last("stat", path: path) }
        }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            throw Refusal(
                path: path,
                role: role,
                problem: "has a parent that belongs to \(userName(info.st_uid)), who could replace what is below it",
                fix: fix
            )
        }
        let writableByOthers =
            info.st_mode & S_IWOTH != 0 || (info.st_mode & S_IWGRP != 0 && !isPrivateGroup(info.st_gid))
        if writableByOthers, info.st_mode & S_ISVTX == 0 {
            throw Refusal(
                path: path,
                role: role,
                problem: "has a parent others may write to without the sticky bit (mode \(octal(info)))",
                fix: fix
            )
        }
    }

    private static func fix(for path: String, flag: String?) -> String {
        "check who made it, then remove it (rm -r \(path)) so that snapbench makes its own"
            + (flag.map { ", or pass \($0) with a directory of your own" } ?? "")
    }

    /// Whether `gid` is a user private group: one named as this user, whose only member this user is.
    private static func isPrivateGroup(_ gid: gid_t) -> Bool {
        gid == getegid() && groupName(gid) == userName(geteuid())
    }

    private static func octal(_ info: stat) -> String {
        String(info.st_mode & 0o7777, radix: 8)
    }

    /// The user's name, or `uid N` when it has none.
    package static func userName(_ uid: UInt32) -> String {
        // The password database's entry is read at once, before any other call could reuse its storage.
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    private static func groupName(_ gid: gid_t) -> String {
        // As for userName: the group database's static entry is read at once.
        guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return "gid \(gid)" }
        return String(cString: name)
    }
}

extension PrivateDirectory {
    /// A file a flag names for writing (`--json FILE`, a SQLite store, a trace): its directory is made and checked
    /// by ``prepare(_:role:flag:)``, and the file itself may not be a symbolic link or anything but a regular file.
    ///
    /// ```swift
    /// let json = try PrivateDirectory.prepareFile("out/compare.json", role: "comparison JSON", flag: "--json")
    /// ```
    ///
    /// - Returns: the file's absolute path.
    /// - Throws: ``Refusal`` as ``prepare(_:role:flag:)`` does, or when the file is a link or not a regular file.
    @discardableResult
    package static func prepareFile(_ path: String, role: String, flag: String? = nil) throws -> String {
        let absolute = Self.absolute(path)
        let slash = absolute.lastIndex(of: "/") ?? absolute.startIndex
        let directory = String(absolute[..<slash])
        try prepare(directory.isEmpty ? "/" : directory, role: "directory of the \(role)", flag: flag)
        var info = stat()
        if lstat(absolute, &info) == 0 {
            let fix = "remove it, or pass " + (flag ?? "the option") + " another path"
            if info.st_mode & S_IFMT == S_IFLNK {
                throw Refusal(path: absolute, role: role, problem: "is a symbolic link", fix: fix)
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw Refusal(path: absolute, role: role, problem: "is not a regular file", fix: fix)
            }
        }
        return absolute
    }
}
