import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A raw HTTP/1.1 server on a Unix socket whose answer depends on the request path, for protocol edge
/// cases a real Firecracker never produces on demand.
///
/// - `/ok` → 204; `/info` → 200 with an instance-info body; `/fault` → 400 with a fault body;
///   `/text-fault` → 500 with a plain-text body; `/slow` → never answers; `/close` → hangs up;
///   `/garbage` → bytes that are not HTTP; `/split` → a 200 response written in three pieces.
final class TestAPIServer: Sendable {
    let socketPath: String
    private let channel: any Channel
    private let connections: Counter

    private init(socketPath: String, channel: any Channel, connections: Counter) {
        self.socketPath = socketPath
        self.channel = channel
        self.connections = connections
    }

    /// How many connections were accepted.
    var connectionCount: Int { connections.value.load(ordering: .relaxed) }

    static func start() async throws -> TestAPIServer {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "api-\(UUID().uuidString.prefix(8)).sock"
        ).path
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                counter.increment()
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(RawHTTPHandler())
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        return TestAPIServer(socketPath: path, channel: channel, connections: counter)
    }

    func stop() async {
        try? await channel.close()
        try? FileManager.default.removeItem(atPath: socketPath)
    }
}

/// Counts accepted connections from the accept loop.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
}

private final class RawHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending = ""

    /// Configuration endpoints answered with 204, as Firecracker answers a valid request.
    private static let acceptedPrefixes = [
        "/boot-source", "/machine-config", "/drives/", "/network-interfaces/", "/vsock", "/logger", "/metrics",
        "/actions", "/vm", "/snapshot/",
    ]

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readString(length: buffer.readableBytes) ?? ""
        while let request = nextRequest() {
            respond(to: request, context: context)
        }
    }

    /// Takes one complete request (head and Content-Length body) from `pending`, returning its path.
    private func nextRequest() -> String? {
        guard let headEnd = pending.range(of: "\r\n\r\n") else { return nil }
        let head = pending[..<headEnd.lowerBound]
        let length =
            head.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        let bodyStart = headEnd.upperBound
        guard pending.distance(from: bodyStart, to: pending.endIndex) >= length else { return nil }
        let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        pending = String(pending[pending.index(bodyStart, offsetBy: length)...])
        return path
    }

    private func respond(to path: String, context: ChannelHandlerContext) {
        func send(_ text: String) {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
        }
        func response(_ status: String, _ body: String) -> String {
            "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }
        switch path {
        case "/ok":
            send("HTTP/1.1 204 No Content\r\n\r\n")
        case "/info", "/":
            send(
                response("200 OK", #"{"app_name":"Firecracker","id":"test","state":"Running","vmm_version":"1.12.1"}"#)
            )
        case "/fault":
            send(
                response(
                    "400 Bad Request",
                    #"{"fault_message":"The requested operation is not supported after starting the microVM."}"#
                )
            )
        case "/text-fault":
            send(response("500 Internal Server Error", "something broke"))
        case "/slow":
            break
        case "/close":
            context.close(promise: nil)
        case "/garbage":
            send("THIS IS NOT HTTP AT ALL\r\n\r\n")
        case "/split":
            let whole = response(
                "200 OK",
                #"{"app_name":"Firecracker","id":"split","state":"Running","vmm_version":"1.12.1"}"#
            )
            let bytes = Array(whole.utf8)
            for piece in [bytes[..<10], bytes[10..<40], bytes[40...]] {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: piece)), promise: nil)
            }
        case _ where Self.acceptedPrefixes.contains { path.hasPrefix($0) }:
            send("HTTP/1.1 204 No Content\r\n\r\n")
        default:
            send(response("404 Not Found", #"{"fault_message":"no such endpoint"}"#))
        }
    }
}
