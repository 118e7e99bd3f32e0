import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves ``LiveMetrics`` over HTTP while a run lasts: `GET /metrics` (any path) gets the exposition text;
/// each answer closes its connection, so no scraper's connection outlives a scrape into the leak check.
///
/// ```swift
/// let server = try await MetricsServer.start(listen: "127.0.0.1:9464", metrics: live)
/// print(server.address)  // 127.0.0.1:9464
/// await server.stop()
/// ```
package final class MetricsServer: Sendable {
    /// Where it listens, `host:port` (the port the system chose when asked for 0).
    package let address: String
    private let channel: any Channel

    private init(channel: any Channel, address: String) {
        self.channel = channel
        self.address = address
    }

    /// Starts listening on `listen` (`host:port`).
    ///
    /// - Throws: ``RunError`` `.invalidRequest` for an address that does not parse or cannot be bound.
    package static func start(listen: String, metrics: LiveMetrics) async throws -> MetricsServer {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65_535).contains(port)
        else {
            throw RunError(.invalidRequest, "--metrics-listen \(listen): expected HOST:PORT, e.g. 127.0.0.1:9464")
        }
        let host = String(listen[..<colon])
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(ScrapeHandler(metrics: metrics))
                    }
                }
                .bind(host: host, port: port)
                .get()
            let bound = channel.localAddress?.port ?? port
            return MetricsServer(channel: channel, address: "\(host):\(bound)")
        } catch {
            throw RunError(.invalidRequest, "--metrics-listen \(listen): cannot listen there: \(error)")
        }
    }

    /// Stops listening.
    package func stop() async {
        try? await channel.close()
    }
}

/// Answers every request with the current exposition, then closes the connection.
private final class ScrapeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: LiveMetrics

    init(metrics: LiveMetrics) {
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let body = metrics.exposition()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }
}
