import NIOCore
import NIOHTTP1

/// One request on its way to the socket, with the promise its response completes.
struct PendingRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var timeout: TimeAmount
    var promise: EventLoopPromise<APIResponse>
}

/// Writes requests and matches responses to them in order (HTTP/1.1 without pipelining surprises).
///
/// A request that outlives its timeout fails with `.timeout` and closes the connection: a late response
/// on a reused connection would otherwise be read as the answer to the next request.
final class APIResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private struct InFlight {
        var description: String
        var promise: EventLoopPromise<APIResponse>
        var timeoutTask: Scheduled<Void>?
    }

    private var inFlight = CircularBuffer<InFlight>()
    private var status: Int?
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        let description = "\(request.head.method) \(request.head.uri)"
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let timeoutTask = context.eventLoop.scheduleTask(in: request.timeout) {
            let (handler, context) = loopBound.value
            handler.failAll(
                first: FirecrackerError(
                    .timeout,
                    "\(description) got no complete response within \(request.timeout.nanoseconds / 1_000_000) ms"
                )
            )
            context.close(promise: nil)
        }
        inFlight.append(InFlight(description: description, promise: request.promise, timeoutTask: timeoutTask))
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var part):
            body?.writeBuffer(&part)
        case .end:
            guard let status, !inFlight.isEmpty else {
                failAll(first: FirecrackerError(.invalidResponse, "a response arrived with no request waiting for it"))
                context.close(promise: nil)
                return
            }
            let request = inFlight.removeFirst()
            request.timeoutTask?.cancel()
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            self.status = nil
            self.body = nil
            request.promise.succeed(APIResponse(status: status, body: bytes))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(first: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or broken connection (the VMM died) is a closed connection, not a malformed response.
        let reason =
            error is IOError || error is ChannelError
            ? FirecrackerError(.connectionClosed, "the API connection failed", underlying: error)
            : FirecrackerError(.invalidResponse, "the API response could not be parsed", underlying: error)
        failAll(first: reason)
        context.close(promise: nil)
    }

    /// Fails every waiting request: the first with `first` (the reason the connection is going away),
    /// the rest — and the first when no reason is given — with `.connectionClosed`.
    private func failAll(first: FirecrackerError?) {
        var reason = first
        while let request = inFlight.popFirst() {
            request.timeoutTask?.cancel()
            request.promise.fail(
                reason
                    ?? FirecrackerError(
                        .connectionClosed,
                        "the API socket closed before \(request.description) was answered"
                    )
            )
            reason = nil
        }
    }
}
