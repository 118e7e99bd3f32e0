import Foundation
public import NIOCore
public import NIOPosix

/// The agent's channel: a guest agent reached over Firecracker's vsock device, as an orchestrator reaches it
/// after every resume.
///
/// Firecracker bridges guest `AF_VSOCK` to a host Unix socket (the device's `uds_path`). A host-initiated
/// connection writes `CONNECT <port>\n`; Firecracker forwards it to the guest's listener on that port and, once
/// the guest accepts, answers `OK <host port>\n` (or closes the connection when nothing listens). A restore
/// resets every vsock connection (the transport reset), so the first thing after a resume is a *new* connection
/// and a request: that round trip is when the sandbox is really ready for work.
///
/// ```swift
/// let exchange = try await AgentChannel.ask(
///     socketPath: clone.vmm.workingDirectory + "/vsock.sock", port: 52, request: "ready",
///     deadline: .now + .seconds(1))
/// print(exchange.reply, exchange.connected - exchange.started, exchange.replied - exchange.requested)
/// ```
public enum AgentChannel {
    /// One request and its reply, with when each step happened.
    public struct Exchange: Sendable, Equatable {
        /// When the host began to connect to the device's socket.
        public var started: ContinuousClock.Instant
        /// When Firecracker's `OK <port>` arrived: the guest accepted the connection.
        public var connected: ContinuousClock.Instant
        /// When the request line was written.
        public var requested: ContinuousClock.Instant
        /// When the reply's line was complete.
        public var replied: ContinuousClock.Instant
        /// The reply, without its line end.
        public var reply: String

        public init(
            started: ContinuousClock.Instant,
            connected: ContinuousClock.Instant,
            requested: ContinuousClock.Instant,
            replied: ContinuousClock.Instant,
            reply: String
        ) {
            self.started = started
            self.connected = connected
            self.requested = requested
            self.replied = replied
            self.reply = reply
        }
    }

    /// The longest line either side may send; a longer one is a protocol error.
    public static let maximumLineBytes = 4096

    /// Connects to the vsock device's socket at `socketPath`, asks for `port`, sends `request` as one line and
    /// returns the first line the agent answers.
    ///
    /// - Throws: ``FirecrackerError`` with `.agentRefused` (no socket, or Firecracker closed the connection
    ///   before `OK`: nothing listens on the port), `.agentReset` (the connection closed before the reply's line
    ///   was complete), `.agentTimeout` (the deadline passed first), `.agentProtocol` (Firecracker answered
    ///   something other than `OK <port>`, or a line grew too long). The connection is closed whatever happens.
    public static func ask(
        socketPath: String,
        port: UInt32,
        request: String,
        deadline: ContinuousClock.Instant,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Exchange {
        let started = ContinuousClock.now
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(max(.milliseconds(1), started.duration(to: deadline))))
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw FirecrackerError(
                .agentRefused,
                "cannot connect to the vsock device's socket \(socketPath)",
                underlying: error
            )
        }
        return try await withThrowingTaskGroup(of: Exchange?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var lines = LineReader(inbound.makeAsyncIterator())
                    try await outbound.write(ByteBuffer(string: "CONNECT \(port)\n"))
                    guard let answer = try await lines.next() else {
                        throw FirecrackerError(
                            .agentRefused,
                            "Firecracker closed the connection to vsock port \(port): nothing listens there"
                        )
                    }
                    let connected = ContinuousClock.now
                    guard answer.hasPrefix("OK ") else {
                        throw FirecrackerError(
                            .agentProtocol,
                            "Firecracker answered `\(answer)` to CONNECT \(port), not `OK <port>`"
                        )
                    }
                    let requested = ContinuousClock.now
                    try await outbound.write(ByteBuffer(string: request + "\n"))
                    guard let reply = try await lines.next() else {
                        throw FirecrackerError(
                            .agentReset,
                            "the connection to the agent on port \(port) closed before its reply to `\(request)`"
                        )
                    }
                    return Exchange(
                        started: started,
                        connected: connected,
                        requested: requested,
                        replied: ContinuousClock.now,
                        reply: reply
                    )
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let exchange = result { return exchange }
                // The deadline came first: closing the channel ends the exchange's wait.
                channel.channel.close(promise: nil)
                throw FirecrackerError(
                    .agentTimeout,
                    "the agent on vsock port \(port) did not answer `\(request)` before the deadline"
                )
            }
            throw CancellationError()
        }
    }
}

/// Lines from a stream of byte buffers: each `next()` is one line without its `\n` (or `\r\n`), `nil` at the
/// end of the stream.
struct LineReader<Base: AsyncIteratorProtocol> where Base.Element == ByteBuffer {
    private var base: Base
    private var pending: [UInt8] = []

    init(_ base: Base) {
        self.base = base
    }

    mutating func next() async throws -> String? {
        while true {
            if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pending[..<end])
                pending.removeSubrange(...end)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard pending.count <= AgentChannel.maximumLineBytes else {
                throw FirecrackerError(.agentProtocol, "a line of more than \(AgentChannel.maximumLineBytes) bytes")
            }
            guard var buffer = try await base.next() else { return nil }
            pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
    }
}
