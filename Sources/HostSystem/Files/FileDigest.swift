import CLibCrypto
package import Foundation

/// SHA-256 of files, read in chunks so a multi-GiB memory file never sits in memory whole, computed by the
/// system's libcrypto (OpenSSL's EVP interface).
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
        let hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hex(hasher.finalize())
    }

    /// The lowercase hex SHA-256 of `bytes`.
    package static func sha256(of bytes: some DataProtocol) -> String {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hex(hasher.finalize())
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

/// One SHA-256 computation through libcrypto's EVP digest context.
private final class SHA256Hasher {
    private let context: OpaquePointer

    init() {
        // An allocation failure here is out of memory; nothing sensible follows it.
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto could not start a SHA-256 digest")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    func update(_ bytes: some DataProtocol) {
        for region in bytes.regions {
            // unsafe: libcrypto reads the bytes through a pointer, valid for this call only.
            region.withUnsafeBytes { buffer in
                _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
            }
        }
    }

    func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }
}
