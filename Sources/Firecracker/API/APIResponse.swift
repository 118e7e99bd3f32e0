import Foundation

/// A complete HTTP response from Firecracker's API socket.
public struct APIResponse: Sendable, Equatable {
    /// The HTTP status code.
    package var status: Int
    /// The raw body (JSON, or empty for `204 No Content`).
    package var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// Whether the status is 2xx.
    package var isSuccess: Bool { (200..<300).contains(status) }

    /// Decodes the body as `T` with Firecracker's snake_case keys.
    ///
    /// - Throws: `FirecrackerError` with code `.invalidResponse` when the body is not the JSON expected.
    public func decode<T: Decodable>(_ type: T.Type, request: String) throws -> T {
        do {
            return try APICoding.decoder().decode(T.self, from: Data(body))
        } catch {
            throw FirecrackerError(
                .invalidResponse,
                "\(request) answered with a body that is not a \(T.self): \(String(decoding: body.prefix(200), as: UTF8.self))",
                httpStatus: status,
                underlying: error
            )
        }
    }

    /// Firecracker's `fault_message`, or the raw body (its first 500 bytes) when it is not the JSON fault
    /// object; never empty, at most 2,000 characters.
    public var faultMessage: String {
        if let fault = try? APICoding.decoder().decode(APIFault.self, from: Data(body)) {
            let blank = fault.faultMessage.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            return blank ? "(empty fault message)" : String(fault.faultMessage.prefix(2_000))
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}
