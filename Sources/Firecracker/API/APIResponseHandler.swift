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

    /// The largest response body accepted (Firecracker's are a few KiB); a larger one is an invalid
    /// response, so a runaway or hostile peer cannot make the client buffer without bound.
    static let maximumBodySize = 1 << 20

    private var inFlight = CircularBuffer<InFlight>()
    private var status: Int?
    private var body: ByteBuffer?
    /// Set once the connection is being dropped for a malformed response: later parts are ignored.
    private var discarding = false
    /// Set between the head and the end of an informational (1xx) response, whose parts are skipped.
    private var informational = false

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
        guard !discarding else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            let code = Int(head.status.code)
            switch code {
            case 100, 102, 103:
                // Informational: the final response follows; its parts are skipped.
                status = nil
                body = nil
                informational = true
                return
            case 200...599:
                informational = false
                status = code
                body = context.channel.allocator.buffer(capacity: 0)
            default:
                drop(context, "status \(code) is not a final HTTP status (200-599)", status: code)
            }
        case .body(var part):
            guard !informational else { return }
            guard (body?.readableBytes ?? 0) + part.readableBytes <= Self.maximumBodySize else {
                drop(context, "a response body is larger than \(Self.maximumBodySize) bytes", status: status)
                return
            }
            body?.writeBuffer(&part)
        case .end:
            guard !informational else {
                informational = false
                return
            }
            guard let status, !inFlight.isEmpty else {
                drop(context, "a response arrived with no request waiting for it", status: status)
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

    /// Fails every waiting request with `.invalidResponse` and drops the connection, ignoring what follows.
    private func drop(_ context: ChannelHandlerContext, _ message: String, status: Int?) {
        discarding = true
        failAll(first: FirecrackerError(.invalidResponse, message, httpStatus: status))
        context.close(promise: nil)
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
