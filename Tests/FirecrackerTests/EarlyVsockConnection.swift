import NIOCore
import NIOPosix

/// A host connection to a vsock device's socket that writes `CONNECT <port>` and one request at once, and
/// collects what comes back until two lines (`OK <port>` and the reply) or the end of the connection.
///
/// Made for connections opened before the guest runs: the kernel queues them on Firecracker's listener, and
/// Firecracker hands them to the guest the moment its driver activates the device, all at once.
final class EarlyVsockConnection: Sendable {
    /// What one connection got.
    enum Outcome: Equatable {
        /// `OK <port>`, then the agent's reply (without its line end).
        case answered(String)
        /// Closed or reset before a reply: the guest refused it (no free connection) or Firecracker did.
        case closed(received: String)
        /// Neither within the time given: nobody took the connection up.
        case timedOut(received: String)
    }

    private let channel: any Channel
    private let outcome: EventLoopFuture<Outcome>

    private init(channel: any Channel, outcome: EventLoopFuture<Outcome>) {
        self.channel = channel
        self.outcome = outcome
    }

    /// Connects to `socketPath` and writes `CONNECT <port>\n<request>\n`; returns once the kernel holds both.
    static func open(socketPath: String, port: UInt32, request: String) async throws -> EarlyVsockConnection {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: Outcome.self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(OutcomeCollector(promise: promise))
                }
            }
            .connect(unixDomainSocketPath: socketPath)
            .get()
        try await channel.writeAndFlush(ByteBuffer(string: "CONNECT \(port)\n\(request)\n")).get()
        return EarlyVsockConnection(channel: channel, outcome: promise.futureResult)
    }

    /// What came back, waiting at most `timeout` more; the connection is closed afterwards.
    func result(within timeout: Duration) async -> Outcome {
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            channel.pipeline.fireUserInboundEventTriggered(OutcomeCollector.TimedOut())
        }
        let outcome = (try? await outcome.get()) ?? .closed(received: "")
        timer.cancel()
        try? await channel.close()
        return outcome
    }
}

/// Collects a connection's bytes on its event loop and settles the outcome once.
private final class OutcomeCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    struct TimedOut {}

    private let promise: EventLoopPromise<EarlyVsockConnection.Outcome>
    private var received = ""
    private var settled = false

    init(promise: EventLoopPromise<EarlyVsockConnection.Outcome>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readString(length: buffer.readableBytes) ?? ""
        let lines = received.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count >= 3, lines[0].hasPrefix("OK ") { settle(.answered(String(lines[1]))) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(.closed(received: received))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset (Firecracker closing a connection whose request it never forwarded) ends it like a close.
        settle(.closed(received: received))
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TimedOut { settle(.timedOut(received: received)) }
        context.fireUserInboundEventTriggered(event)
    }

    private func settle(_ outcome: EarlyVsockConnection.Outcome) {
        guard !settled else { return }
        settled = true
        promise.succeed(outcome)
    }
}
