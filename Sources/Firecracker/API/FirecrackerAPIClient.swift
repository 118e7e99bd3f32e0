import Foundation
package import NIOCore
package import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 client for one Firecracker process's API Unix socket.
///
/// It keeps one connection open (keep-alive) and reconnects when the previous one was closed. Every request
/// has a timeout; a request that times out fails with ``FirecrackerError/Code/timeout`` and drops the
/// connection, so a hung VMM never blocks its caller past the deadline.
///
/// ```swift
/// let client = FirecrackerAPIClient(socketPath: "/run/vm1/api.sock")
/// try await client.loadSnapshot(
///     SnapshotLoadParameters(
///         snapshotPath: "vm.state",
///         memBackend: MemoryBackend(backendType: .file, backendPath: "vm.mem")
///     )
/// )
/// await client.close()
/// ```
package final class FirecrackerAPIClient: Sendable {
    /// Path of the API socket.
    package let socketPath: String
    /// Timeout applied when a call gives none.
    package let defaultTimeout: Duration

    private let group: any EventLoopGroup
    private let channel = Mutex<(any Channel)?>(nil)

    /// Creates a client; nothing is connected until the first request.
    ///
    /// - Parameters:
    ///   - socketPath: the `--api-sock` path of the Firecracker process.
    ///   - defaultTimeout: the timeout of requests that name none.
    ///   - group: the event loops the connection runs on.
    package init(
        socketPath: String,
        defaultTimeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.socketPath = socketPath
        self.defaultTimeout = defaultTimeout
        self.group = group
    }

    /// Opens the connection now (it is otherwise opened by the first request).
    ///
    /// - Throws: `FirecrackerError` with code `.connectFailed`.
    package func connect() async throws {
        _ = try await liveChannel()
    }

    /// Sends one request and returns the response, whatever its status.
    ///
    /// - Parameters:
    ///   - method: `GET`, `PUT` or `PATCH`.
    ///   - path: the endpoint, e.g. `/snapshot/load`.
    ///   - body: a JSON body, if any.
    ///   - timeout: how long to wait for the complete response.
    /// - Returns: the status and body.
    /// - Throws: `FirecrackerError` with `.timeout`, `.connectionClosed`, `.connectFailed` or `.invalidResponse`.
    package func send(
        _ method: HTTPMethod,
        _ path: String,
        body: [UInt8]? = nil,
        timeout: Duration? = nil
    )
        async throws -> APIResponse
    {
        let channel = try await liveChannel()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "localhost")
        headers.add(name: "Accept", value: "application/json")
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let promise = channel.eventLoop.makePromise(of: APIResponse.self)
        let request = PendingRequest(
            head: head,
            body: body.map { channel.allocator.buffer(bytes: $0) },
            timeout: TimeAmount(timeout ?? defaultTimeout),
            promise: promise
        )
        channel.writeAndFlush(request).whenFailure { error in
            promise.fail(
                FirecrackerError(.connectionClosed, "\(method) \(path) could not be written", underlying: error)
            )
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            // After a timeout or a broken connection the channel is closing; forget it now so that the next
            // request opens a new one instead of writing into the closing one.
            discard(channel)
            throw error
        }
    }

    /// Sends `value` as JSON and checks for a 2xx status.
    ///
    /// - Throws: `FirecrackerError` with code `.apiFault` carrying Firecracker's `fault_message` on an error
    ///   status, or a transport error.
    @discardableResult
    package func send(
        _ method: HTTPMethod,
        _ path: String,
        json value: some Encodable,
        timeout: Duration? = nil
    )
        async throws -> APIResponse
    {
        let body = try Array(APICoding.encoder().encode(value))
        return try await checked(send(method, path, body: body, timeout: timeout), request: "\(method) \(path)")
    }

    /// Closes the connection; a later request opens a new one.
    package func close() async {
        let current = channel.withLock { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await current?.close()
    }

    func checked(_ response: APIResponse, request: String) throws -> APIResponse {
        guard response.isSuccess else {
            throw FirecrackerError(
                .apiFault,
                "\(request) was refused",
                faultMessage: response.faultMessage,
                httpStatus: response.status
            )
        }
        return response
    }

    private func discard(_ failed: any Channel) {
        let dropped = channel.withLock { channel -> Bool in
            guard let current = channel, current === failed else { return false }
            channel = nil
            return true
        }
        if dropped { failed.close(promise: nil) }
    }

    private func liveChannel() async throws -> any Channel {
        if let existing = channel.withLock({ $0 }), existing.isActive {
            return existing
        }
        let fresh: any Channel
        do {
            fresh = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(APIResponseHandler())
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
        } catch {
            throw FirecrackerError(.connectFailed, "cannot connect to the API socket \(socketPath)", underlying: error)
        }
        let replaced = channel.withLock { channel -> (any Channel)? in
            defer { channel = fresh }
            return channel
        }
        replaced?.close(promise: nil)
        return fresh
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
