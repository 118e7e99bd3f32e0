import Crypto
package import Foundation

/// SHA-256 of files, read in chunks so a multi-GiB memory file never sits in memory whole.
package enum FileDigest {
    /// The lowercase hex SHA-256 of the file at `path`.
    ///
    /// ```swift
    /// let hash = try FileDigest.sha256(ofFile: "/opt/firecracker/firecracker")
    /// ```
    /// - Throws: ``SystemError`` when the file cannot be read.
    package static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SystemError("open", path: path, "cannot read the file to hash it")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    /// The lowercase hex SHA-256 of `bytes`.
    package static func sha256(of bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Lower-case hex, two digits a byte. By table: `String(format:)` per byte cost ~0.3 ms per digest, and
    /// the audit log takes one digest per record, several per VM.
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        var characters: [UInt8] = []
        characters.reserveCapacity(64)
        for byte in digest {
            characters.append(hexDigits[Int(byte >> 4)])
            characters.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
