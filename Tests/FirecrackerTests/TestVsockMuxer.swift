import Foundation
import NIOCore
import NIOPosix

/// A stand-in for a Firecracker vsock device's host socket, for failures a real guest's agent gives only by
/// accident: it answers `CONNECT <port>` as the port says.
///
/// - port 52: `OK`, then a reply to the request that is cut off mid-line: the connection closes after `R0123`;
/// - port 60: a line that is not `OK <port>`;
/// - any other port: `OK`, then `R<the request>` as a whole line.
final class TestVsockMuxer: Sendable {
    let socketPath: String
    private let channel: any Channel

    private init(socketPath: String, channel: any Channel) {
        self.socketPath = socketPath
        self.channel = channel
    }

    static let cutOffPort: UInt32 = 52
    static let noOKPort: UInt32 = 60

    static func start() async throws -> TestVsockMuxer {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vsock-\(UUID().uuidString.prefix(8)).sock"
        ).path
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(MuxerHandler())
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        return TestVsockMuxer(socketPath: path, channel: channel)
    }

    func stop() async {
        try? await channel.close()
        try? FileManager.default.removeItem(atPath: socketPath)
    }
}

private final class MuxerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending = ""
    private var port: UInt32?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readString(length: buffer.readableBytes) ?? ""
        while let end = pending.firstIndex(of: "\n") {
            let line = String(pending[..<end])
            pending.removeSubrange(...end)
            guard let port else {
                let asked = UInt32(line.dropFirst("CONNECT ".count)) ?? 0
                self.port = asked
                write(asked == TestVsockMuxer.noOKPort ? "NOPE\n" : "OK 1073741824\n", context: context)
                continue
            }
            if port == TestVsockMuxer.cutOffPort {
                write("R0123", context: context)
                context.close(promise: nil)
                return
            }
            write("R" + line + "\n", context: context)
        }
    }

    private func write(_ text: String, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}
