import Firecracker
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// libFuzzer entry point: every input is the bytes of an HTTP/1.1 response from the API socket. They go
/// through NIO's HTTPResponseDecoder (as in the client); each complete body goes through the model
/// decoders and `faultMessage`; the input is also read as a metrics line. Nothing may trap; decoding
/// errors must be typed.
func fuzzResponseParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder()))
        // The decoder pairs responses with requests it saw go out.
        try channel.writeOutbound(
            HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"))
        )
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
    } catch {}
    channel.pipeline.fireChannelInactive()
    var status = 0
    var body: [UInt8] = []
    while let part = try? channel.readInbound(as: HTTPClientResponsePart.self) {
        switch part {
        case .head(let head): status = Int(head.status.code)
        case .body(let buffer): body += buffer.readableBytesView
        case .end:
            check(APIResponse(status: status, body: body))
            body = []
        }
    }
    _ = try? channel.finish(acceptAlreadyClosed: true)
    check(APIResponse(status: 400, body: bytes))
    do {
        _ = try FirecrackerMetrics(line: String(decoding: bytes, as: UTF8.self))
    } catch let error as FirecrackerError {
        precondition(error.code == .invalidResponse)
    } catch {
        preconditionFailure("an untyped error: \(error)")
    }
    return 0
}

private func check(_ response: APIResponse) {
    precondition(!response.faultMessage.isEmpty)
    for attempt in [
        { _ = try response.decode(InstanceInfo.self, request: "GET /") },
        { _ = try response.decode(APIFault.self, request: "x") },
        { _ = try response.decode(SnapshotLoadParameters.self, request: "x") },
        { _ = try response.decode(MachineConfiguration.self, request: "x") },
    ] as [() throws -> Void] {
        do {
            try attempt()
        } catch let error as FirecrackerError {
            precondition(error.code == .invalidResponse)
        } catch {
            preconditionFailure("an untyped error: \(error)")
        }
    }
}

/// The entry point libFuzzer's own `main` calls, when the linker picks that one.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzResponseParser(data, size) }

// SwiftPM links an executable's `main` to its module's entry point, so libFuzzer is started from here.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzResponseParser(data, size) })
