package import Foundation

/// JSON coders configured for Firecracker's wire format: snake_case keys, no `null` for absent fields.
package enum APICoding {
    /// An encoder that writes Firecracker's snake_case keys.
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// A decoder that reads Firecracker's snake_case keys.
    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
