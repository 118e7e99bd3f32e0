import Foundation
package import NIOCore
import NIOPosix
import Synchronization

/// The agent's channel: a guest agent reached over Firecracker's vsock device, as an orchestrator reaches it
/// after every resume.
///
/// Firecracker bridges guest `AF_VSOCK` to a host Unix socket (the device's `uds_path`). A host-initiated
/// connection writes `CONNECT <port>\n`; Firecracker forwards it to the guest's listener on that port and, once
/// the guest accepts, answers `OK <host port>\n` (or closes the connection when nothing listens). A restore
/// resets every vsock connection (the transport reset), so the first thing after a resume is a *new* connection
/// and a request: that round trip is when the sandbox is really ready for work. An orchestrator then keeps the
/// connection for the sandbox's work, and so does a clone (``ClonedVM``): one connection per lease.
///
/// ```swift
/// let connection = try await AgentChannel.connect(
///     socketPath: clone.vmm.workingDirectory + "/vsock.sock", port: 52, deadline: .now + .seconds(1))
/// let ready = try await connection.ask("ready", deadline: .now + .seconds(1))
/// let work = try await connection.ask("touch 16", deadline: .now + .seconds(5))
/// connection.close()
/// ```
package enum AgentChannel {
    /// One request and its reply, with when each step happened.
    package struct Exchange: Sendable, Equatable {
        /// When the host began to connect to the device's socket (the request's own start on a connection
        /// that was already open).
        package var started: ContinuousClock.Instant
        /// When Firecracker's `OK <port>` arrived: the guest accepted the connection (`started` on a connection
        /// that was already open).
        package var connected: ContinuousClock.Instant
        /// When the request line was written.
        package var requested: ContinuousClock.Instant
        /// When the reply's line was complete.
        package var replied: ContinuousClock.Instant
        /// The reply, without its line end.
        package var reply: String
        /// Whether the request went out in the connect's own write
        /// (``AgentChannel/open(socketPath:port:asking:deadline:group:)``): the agent's part of the wait then
        /// begins at `connected`, when it accepted with the request already waiting.
        package var sentWithConnect: Bool

        package init(
            started: ContinuousClock.Instant,
            connected: ContinuousClock.Instant,
            requested: ContinuousClock.Instant,
            replied: ContinuousClock.Instant,
            reply: String,
            sentWithConnect: Bool = false
        ) {
            self.started = started
            self.connected = connected
            self.requested = requested
            self.replied = replied
            self.reply = reply
            self.sentWithConnect = sentWithConnect
        }

        /// The agent's part: from the request (or, when it went out with the connect, from `OK`) to the reply.
        package var agentReply: Duration {
            (sentWithConnect ? connected : requested).duration(to: replied)
        }
    }

    /// The longest line either side may send; a longer one is a protocol error.
    package static let maximumLineBytes = 4096

    /// Connects to the vsock device's socket at `socketPath` and asks Firecracker for the guest's `port`.
    ///
    /// - Returns: the open connection, which has noted when the connect began and when `OK` arrived.
    /// - Throws: ``FirecrackerError`` with `.agentRefused` (no socket, or Firecracker closed the connection
    ///   before `OK`: nothing listens on the port), `.agentTimeout` (the deadline passed first), `.agentProtocol`
    ///   (Firecracker answered something other than `OK <port>`). Nothing stays open when it throws.
    package static func connect(
        socketPath: String,
        port: UInt32,
        deadline: ContinuousClock.Instant,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> AgentConnection {
        try await connect(socketPath: socketPath, port: port, sendingAhead: nil, deadline: deadline, group: group)
    }

    /// Opens a connection and asks `request` on it, the request written in the same write as `CONNECT <port>`.
    ///
    /// Firecracker reads the connect line up to its line end and leaves what follows in the socket until the
    /// guest has accepted; then it forwards it like any data. So the agent finds the request waiting the moment
    /// it accepts, and the host saves a round trip of its own (the wake-up on `OK`, then the write) on the path
    /// every spawn takes. The agent sees exactly what a connect followed by a request gives it. The exchange's
    /// ``AgentChannel/Exchange/requested`` is then its `started`, and ``AgentChannel/Exchange/sentWithConnect``
    /// says so.
    ///
    /// ```swift
    /// let (connection, ready) = try await AgentChannel.open(
    ///     socketPath: dir + "/vsock.sock", port: 52, asking: "ready", deadline: .now + .seconds(1))
    /// ```
    ///
    /// - Returns: the open connection, for later requests, and the exchange.
    /// - Throws: what ``connect(socketPath:port:deadline:group:)`` and ``AgentConnection/ask(_:deadline:)``
    ///   throw; a connection Firecracker resets before `OK` (it closes one nobody listens for, with the request
    ///   still unread) is `.agentRefused`. Nothing stays open when it throws.
    package static func open(
        socketPath: String,
        port: UInt32,
        asking request: String,
        deadline: ContinuousClock.Instant,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> (AgentConnection, Exchange) {
        let connection = try await connect(
            socketPath: socketPath,
            port: port,
            sendingAhead: request,
            deadline: deadline,
            group: group
        )
        do {
            return (connection, try await connection.awaitReplySentAhead(to: request, deadline: deadline))
        } catch {
            connection.close()
            throw error
        }
    }

    private static func connect(
        socketPath: String,
        port: UInt32,
        sendingAhead request: String?,
        deadline: ContinuousClock.Instant,
        group: any EventLoopGroup
    ) async throws -> AgentConnection {
        let started = ContinuousClock.now
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(max(.milliseconds(1), started.duration(to: deadline))))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(LineHandler())
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
        } catch {
            throw FirecrackerError(
                .agentRefused,
                "cannot connect to the vsock device's socket \(socketPath)",
                underlying: error
            )
        }
        let connection = AgentConnection(channel: channel, port: port, started: started)
        let nothingListens = "Firecracker closed the connection to vsock port \(port): nothing listens there"
        do {
            let connectLine = "CONNECT \(port)"
            let written = request.map { connectLine + "\n" + $0 } ?? connectLine
            guard let answer = try await connection.exchange(written, deadline: deadline, describing: connectLine)
            else {
                throw FirecrackerError(.agentRefused, nothingListens)
            }
            guard answer.hasPrefix("OK ") else {
                throw FirecrackerError(
                    .agentProtocol,
                    "Firecracker answered `\(answer)` to CONNECT \(port), not `OK <port>`"
                )
            }
        } catch let error as FirecrackerError where error.code == .agentReset && request != nil {
            // Closing a socket whose peer wrote data it never read resets the connection instead of ending it.
            connection.close()
            throw FirecrackerError(.agentRefused, nothingListens, underlying: error)
        } catch {
            connection.close()
            throw error
        }
        connection.noteConnected()
        return connection
    }

    /// One request over a new connection, closed afterwards: ``open(socketPath:port:asking:deadline:group:)``,
    /// the request written with the connect.
    ///
    /// - Throws: what it throws; the connection is closed whatever happens.
    package static func ask(
        socketPath: String,
        port: UInt32,
        request: String,
        deadline: ContinuousClock.Instant,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Exchange {
        let (connection, exchange) = try await open(
            socketPath: socketPath,
            port: port,
            asking: request,
            deadline: deadline,
            group: group
        )
        connection.close()
        return exchange
    }
}

/// An open connection to a guest's agent: requests one at a time, each answered by one line.
///
/// The first ``ask(_:deadline:)`` reports the connect's timings (``AgentChannel/Exchange/started`` and
/// ``AgentChannel/Exchange/connected``); later ones start at their own request. A connection that timed out or
/// broke answers every later request with the error that ended it, one that closed with `.agentReset`.
package final class AgentConnection: Sendable {
    private let channel: any Channel
    private let port: UInt32
    private let timings: Mutex<(started: ContinuousClock.Instant, connected: ContinuousClock.Instant)?>

    fileprivate init(channel: any Channel, port: UInt32, started: ContinuousClock.Instant) {
        self.channel = channel
        self.port = port
        self.timings = Mutex((started, started))
    }

    fileprivate func noteConnected() {
        timings.withLock { $0?.connected = .now }
    }

    /// Whether the connection is still open.
    package var isOpen: Bool { channel.isActive }

    /// Sends `request` as one line and returns the agent's next line.
    ///
    /// - Throws: ``FirecrackerError`` `.agentReset` (the connection closed before the reply's line was
    ///   complete, or was already closed), `.agentTimeout` (the deadline passed first: the connection is closed),
    ///   `.agentProtocol` (a line grew too long).
    package func ask(_ request: String, deadline: ContinuousClock.Instant) async throws -> AgentChannel.Exchange {
        try await reply(to: request, writing: true, deadline: deadline)
    }

    /// The reply to `request`, which went out with the connect: nothing is written.
    fileprivate func awaitReplySentAhead(
        to request: String,
        deadline: ContinuousClock.Instant
    ) async throws -> AgentChannel.Exchange {
        try await reply(to: request, writing: false, deadline: deadline)
    }

    /// Writes `request` (unless it went out with the connect) and waits for its reply, with the connect's
    /// timings on the connection's first exchange.
    private func reply(
        to request: String,
        writing: Bool,
        deadline: ContinuousClock.Instant
    ) async throws -> AgentChannel.Exchange {
        let requestStarted = ContinuousClock.now
        let (started, connected) = timings.withLock { timings in
            defer { timings = nil }
            return timings ?? (requestStarted, requestStarted)
        }
        let requested = writing ? ContinuousClock.now : started
        guard let reply = try await exchange(writing ? request : nil, deadline: deadline, describing: request) else {
            throw FirecrackerError(
                .agentReset,
                "the connection to the agent on port \(port) closed before its reply to `\(request)`"
            )
        }
        return AgentChannel.Exchange(
            started: started,
            connected: connected,
            requested: requested,
            replied: ContinuousClock.now,
            reply: reply,
            sentWithConnect: !writing
        )
    }

    /// Closes the connection (again is harmless).
    package func close() {
        channel.close(promise: nil)
    }

    /// Writes `line` (unless `nil`: it went out before) and waits for the next line: `nil` when the connection
    /// closed first.
    fileprivate func exchange(
        _ line: String?,
        deadline: ContinuousClock.Instant,
        describing request: String? = nil
    ) async throws -> String? {
        let asked = request ?? line ?? ""
        let loop = channel.eventLoop
        let port = self.port
        let timeout = NIODeadline.now() + TimeAmount(max(.zero, ContinuousClock.now.duration(to: deadline)))
        let reply = loop.flatSubmit { [channel] () -> EventLoopFuture<String?> in
            // On the channel's loop, where the handler lives; a closed channel has none left.
            guard let handler = try? channel.pipeline.syncOperations.handler(type: LineHandler.self) else {
                return loop.makeSucceededFuture(nil)
            }
            let reply = handler.nextLine(on: loop)
            let bound = NIOLoopBound(handler, eventLoop: loop)
            let timer = loop.scheduleTask(deadline: timeout) {
                bound.value.fail(
                    FirecrackerError(
                        .agentTimeout,
                        "the agent on vsock port \(port) did not answer `\(asked)` before the deadline"
                    )
                )
                channel.close(promise: nil)
            }
            reply.whenComplete { _ in timer.cancel() }
            if let line { channel.writeAndFlush(ByteBuffer(string: line + "\n"), promise: nil) }
            return reply
        }
        return try await withTaskCancellationHandler {
            try await reply.get()
        } onCancel: {
            close()
        }
    }
}

/// Lines from the channel, each handed to the oldest waiter (`nil` once the connection has closed); a line too
/// long, or an error, closes the connection.
final class LineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var pending: [UInt8] = []
    private var lines: CircularBuffer<String> = []
    private var waiters: CircularBuffer<EventLoopPromise<String?>> = []
    private var failure: (any Error)?
    private var closed = false

    /// The next line, or `nil` when the connection closes first.
    func nextLine(on loop: any EventLoop) -> EventLoopFuture<String?> {
        if let line = lines.popFirst() { return loop.makeSucceededFuture(line) }
        if let failure { return loop.makeFailedFuture(failure) }
        if closed { return loop.makeSucceededFuture(nil) }
        let promise = loop.makePromise(of: String?.self)
        waiters.append(promise)
        return promise.futureResult
    }

    /// Fails every waiter with `error`, and every later request.
    func fail(_ error: any Error) {
        failure = failure ?? error
        while let waiter = waiters.popFirst() { waiter.fail(error) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(pending[..<end])
            pending.removeSubrange(...end)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            let text = String(decoding: line, as: UTF8.self)
            if let waiter = waiters.popFirst() { waiter.succeed(text) } else { lines.append(text) }
        }
        if pending.count > AgentChannel.maximumLineBytes {
            fail(FirecrackerError(.agentProtocol, "a line of more than \(AgentChannel.maximumLineBytes) bytes"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        while let waiter = waiters.popFirst() { waiter.succeed(nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(FirecrackerError(.agentReset, "the connection to the agent broke", underlying: error))
        context.close(promise: nil)
    }
}
