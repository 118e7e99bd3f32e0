import Foundation
import HostSystem
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Randomness
import Synchronization
import Testing

@testable import Firecracker

/// Seeded, structure-aware fuzzing of everything snapbench decodes from a Firecracker process: HTTP/1.1
/// responses on the API socket (through the client's own pipeline: NIO's `HTTPResponseDecoder` and
/// ``APIResponseHandler``), JSON bodies (the model decoders and `faultMessage`), metrics lines and serial
/// console output. Every input ends as a value or a typed `FirecrackerError`: never a crash, never a request
/// left waiting once its bytes are in and the connection ends or its timeout passes.
@Suite("Firecracker response fuzzing", .timeLimit(.minutes(1)))
struct ResponseParserFuzzTests {
    // MARK: - HTTP responses through the client pipeline

    /// What one response fed through the pipeline ended as.
    enum HTTPOutcome {
        case response(APIResponse)
        case failed(FirecrackerError.Code)
    }

    /// Where the completed response lands (the embedded loop runs callbacks on this thread).
    final class Outcome: Sendable {
        let value = Mutex<Result<APIResponse, any Error>?>(nil)
    }

    /// How the connection ends after the bytes: the server hangs up, or goes silent until the timeout.
    enum Ending { case hangUp, silence }

    static let requestTimeout = TimeAmount.seconds(10)

    /// Sends one request through the client's pipeline on an embedded channel, answers it with `bytes`
    /// (split into `chunks` reads) and ends the connection as `ending` says. The request's promise must be
    /// complete by then; its outcome is returned.
    static func exchange(_ bytes: [UInt8], chunks: [Int], ending: Ending) throws -> HTTPOutcome? {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        try channel.pipeline.syncOperations.addHandler(APIResponseHandler())
        channel.connect(to: try SocketAddress(unixDomainSocketPath: "/fuzz/api.sock"), promise: nil)
        let promise = channel.eventLoop.makePromise(of: APIResponse.self)
        let outcome = Outcome()
        promise.futureResult.whenComplete { result in outcome.value.withLock { $0 = result } }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Host": "localhost"])
        try channel.writeOutbound(PendingRequest(head: head, body: nil, timeout: requestTimeout, promise: promise))

        var offset = 0
        for size in chunks + [bytes.count] where offset < bytes.count && channel.isActive {
            let end = min(bytes.count, offset + size)
            // Errors that reach the tail of the pipeline would be thrown here; the handler takes them all.
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes[offset..<end]))
            offset = end
        }
        switch ending {
        case .hangUp: channel.pipeline.fireChannelInactive()
        case .silence: channel.embeddedEventLoop.advanceTime(by: requestTimeout + .milliseconds(1))
        }
        channel.embeddedEventLoop.run()
        _ = try? channel.finish(acceptAlreadyClosed: true)
        switch outcome.value.withLock({ $0 }) {
        case .success(let response): return .response(response)
        case .failure(let error as FirecrackerError):
            return .failed(error.code)
        case .failure(let error):
            Issue.record("a response ended in an untyped error: \(error)")
            return nil
        case nil:
            if case .hangUp = ending {
                // Fail the leftover promise so NIO does not report it as leaked; the hang is the finding.
                promise.fail(FirecrackerError(.timeout, "fuzz: never completed"))
            }
            return nil
        }
    }

    /// JSON bodies Firecracker sends, and ones it does not.
    static let bodies: [String] = [
        #"{"app_name":"Firecracker","id":"vm-1","state":"Paused","vmm_version":"1.12.1"}"#,
        #"{"fault_message":"Load snapshot error: Failed to restore from snapshot: invalid magic"}"#,
        #"{"fault_message":""}"#, #"{"fault_message":null}"#, #"{"fault_message":42}"#, "{}", "[]", "null", "",
        #"{"app_name":"Firecracker","id":"\u0000","state":"\ud800","vmm_version":"1.12.1"}"#,
        #"{"appName":"Firecracker","id":"x","state":"Running","vmmVersion":"1"}"#,
        "Internal Server Error", "\u{FF}\u{FE}\u{0}garbage", String(repeating: "[", count: 10_000),
    ]

    static let statusLines = [
        "HTTP/1.1 200 OK", "HTTP/1.1 204 No Content", "HTTP/1.1 400 Bad Request", "HTTP/1.1 500 ",
        "HTTP/1.1 404", "HTTP/1.0 200 OK", "HTTP/1.1 100 Continue", "HTTP/1.1 101 Switching Protocols",
        "HTTP/1.1 304 Not Modified", "HTTP/1.1 999 Odd", "HTTP/1.1 000 Zero", "HTTP/1.1 20 Short",
        "HTTP/1.1 2000 Long", "HTTP/1.1 abc Letters", "HTTP/2 200", "HTTP/1.1  200  OK", "http/1.1 200 ok",
        "HTTP/1.1 200 \u{7F}\u{1}", "HTTP/9.9 200 OK", "HTTP/1.1 -200 Negative", "ICY 200 OK", "",
        "HTTP/1.1 200 " + String(repeating: "R", count: 4_000),
    ]

    /// What Firecracker sends.
    static let commonStatusLines = [
        "HTTP/1.1 200 ", "HTTP/1.1 204 ", "HTTP/1.1 400 ", "HTTP/1.1 500 ", "HTTP/1.1 200 OK", "HTTP/1.1 404 ",
    ]
    static let commonHeaders = [
        "Server: Firecracker API", "Connection: keep-alive", "Content-Type: application/json", "Connection: close",
    ]

    static let headers = [
        "Content-Length: 0", "Content-Length: -1", "Content-Length: 99999999999999999999999",
        "Content-Length: 18446744073709551615", "Content-Length: 1, 2", "Content-Length: abc", "Content-Length:",
        "Transfer-Encoding: chunked", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked, chunked",
        "Transfer-Encoding: identity", "no colon here", ": empty name", "X-Fold: a\r\n folded",
        "X-Nul: a\u{0}b", "X-Unicode: 名前🚀", "X-Bare-LF: a\nX-After: b", "Upgrade: websocket",
        "X-Huge: " + String(repeating: "h", count: 100_000),
    ]

    /// One random HTTP/1.1 response: status line, headers, a framed (or unframed, or misframed) body.
    static func response(using random: inout SplitMix64) -> [UInt8] {
        var body = Array(bodies.randomElement(using: &random)!.utf8)
        if random.chance(1, in: 3) { body = JSONMutator.mutate(body, using: &random) }
        if random.chance(1, in: 300) { body = Array(repeating: UInt8(ascii: "x"), count: 1_500_000) }
        let statuses = random.chance(2, in: 3) ? commonStatusLines : statusLines
        var lines = [statuses.randomElement(using: &random)!]
        for _ in 0..<random.below(4) {
            lines.append((random.chance(1, in: 4) ? headers : commonHeaders).randomElement(using: &random)!)
        }
        var payload: [UInt8]
        switch random.below(6) {
        case 0, 1:  // Content-Length, right most of the time
            let lengths = [body.count, body.count, body.count, body.count + 1, max(0, body.count - 1), 0]
            lines.append("Content-Length: \(lengths.randomElement(using: &random)!)")
            payload = body
        case 2:  // chunked, well formed
            lines.append("Transfer-Encoding: chunked")
            payload = chunked(body, using: &random, malformed: false)
        case 3:  // chunked, malformed
            lines.append("Transfer-Encoding: chunked")
            payload = chunked(body, using: &random, malformed: true)
        case 4:  // both framings
            lines.append("Content-Length: \(body.count)")
            lines.append("Transfer-Encoding: chunked")
            payload = chunked(body, using: &random, malformed: false)
        default:  // no framing: the body runs to the end of the connection
            payload = body
        }
        let separator = random.chance(1, in: 10) ? "\n" : "\r\n"
        var bytes = Array((lines.joined(separator: separator) + separator + separator).utf8) + payload
        if random.chance(1, in: 8) { bytes += response(using: &random) }  // a second, unrequested response
        if random.chance(1, in: 3) {
            for _ in 0...random.below(3) { bytes = ByteMutator.mutate(bytes, using: &random) }
        }
        return bytes
    }

    /// `body` in chunked transfer coding; `malformed` breaks sizes, separators or the terminator.
    static func chunked(_ body: [UInt8], using random: inout SplitMix64, malformed: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var rest = body[...]
        while !rest.isEmpty {
            let size = min(rest.count, 1 + random.below(64))
            let extensions = random.chance(1, in: 8) ? ";name=value" : ""
            out += Array("\(String(size, radix: 16))\(extensions)\r\n".utf8) + rest.prefix(size) + Array("\r\n".utf8)
            rest = rest.dropFirst(size)
        }
        out += Array((random.chance(1, in: 6) ? "0\r\nX-Trailer: t\r\n\r\n" : "0\r\n\r\n").utf8)
        if malformed {
            let breakages = [
                "ffffffffffffffffffff\r\n", "-1\r\n", "zz\r\n", "10\r\nshort", "\r\n\r\n", "7fffffffffffffff\r\nx",
                "0\r\n", "5\r\nabcdefgh\r\n",
            ]
            let at = random.below(out.count + 1)
            out.insert(contentsOf: breakages.randomElement(using: &random)!.utf8, at: at)
            if random.chance(1, in: 2) { out.removeLast(min(out.count, random.below(6))) }
        }
        return out
    }

    @Test("Random and mutated HTTP responses end as a response or a typed error, never a hang")
    func httpResponses() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        let inputs = 1_500
        var responses = 0
        var failures: [String: Int] = [:]
        var statuses: Set<Int> = []
        for number in 0..<inputs {
            let bytes: [UInt8] =
                number % 10 == 9
                ? (0..<random.below(600)).map { _ in UInt8.random(in: 0...255, using: &random) }  // plain noise
                : Self.response(using: &random)
            let chunks = (0..<random.below(4)).map { _ in 1 + random.below(max(1, bytes.count)) }
            let ending: Ending = random.chance(1, in: 2) ? .hangUp : .silence
            guard let outcome = try Self.exchange(bytes, chunks: chunks, ending: ending) else {
                Issue.record(
                    "a request was never completed (\(ending)): \(String(decoding: bytes.prefix(300), as: UTF8.self))"
                )
                continue
            }
            switch outcome {
            case .response(let response):
                responses += 1
                statuses.insert(response.status)
                #expect((100...999).contains(response.status))
                #expect(response.body.count <= APIResponseHandler.maximumBodySize)
                // What the client does with a response next.
                #expect(!response.faultMessage.isEmpty)
                do {
                    _ = try response.decode(InstanceInfo.self, request: "GET /")
                } catch let error as FirecrackerError {
                    #expect(error.code == .invalidResponse)
                }
            case .failed(let code):
                #expect([.invalidResponse, .connectionClosed, .timeout].contains(code), "\(code)")
                failures[code.description, default: 0] += 1
            }
        }
        let failed = failures.values.reduce(0, +)
        #expect(responses + failed == inputs)
        #expect(responses > inputs / 10 && failures.count == 3, "\(responses) responses, \(failures)")
        #expect(statuses.isSuperset(of: [200, 204, 400]))
        let summary = failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            "fuzz: HTTP responses \(inputs) inputs, \(responses) decoded (\(statuses.count) statuses), "
                + "\(failed) refused (\(summary)), 0 crashes, 0 requests left waiting"
        )
    }

    @Test("A well-formed response still decodes whatever way its bytes are split")
    func wellFormedResponse() throws {
        let body = Array(Self.bodies[0].utf8)
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        for split in [[1], [5, 5, 5], [bytes.count - 1], []] {
            guard case .response(let response) = try Self.exchange(bytes, chunks: split, ending: .silence) else {
                Issue.record("the response split as \(split) was not decoded")
                continue
            }
            #expect(response.status == 200)
            #expect(try response.decode(InstanceInfo.self, request: "GET /").state == "Paused")
        }
    }

    @Test("Regressions: a status outside 200-599 is refused; an informational response is skipped")
    func statusRegressions() throws {
        for line in ["HTTP/1.1 000 Zero", "HTTP/1.1 999 Odd", "HTTP/1.1 101 Switching Protocols"] {
            let outcome = try Self.exchange(
                Array("\(line)\r\nContent-Length: 0\r\n\r\n".utf8),
                chunks: [],
                ending: .hangUp
            )
            guard case .failed(let code) = outcome else {
                Issue.record("`\(line)` gave \(String(describing: outcome))")
                continue
            }
            #expect(code == .invalidResponse)
        }
        let continued = Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 \r\n\r\n".utf8)
        guard case .response(let response) = try Self.exchange(continued, chunks: [3], ending: .silence) else {
            Issue.record("the final response after a 100 Continue was not returned")
            return
        }
        #expect(response.status == 204 && response.body.isEmpty)
    }

    @Test("A body larger than the handler accepts is an invalid response, not unbounded memory")
    func oversizedBody() throws {
        var random = SplitMix64(seed: 7)
        let size = APIResponseHandler.maximumBodySize + 1
        for framing in ["Content-Length: \(size)\r\n", "Transfer-Encoding: chunked\r\n", ""] {
            var bytes = Array("HTTP/1.1 200 OK\r\n\(framing)\r\n".utf8)
            let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            bytes += framing.hasPrefix("Transfer") ? Self.chunked(payload, using: &random, malformed: false) : payload
            let outcome = try Self.exchange(bytes, chunks: [4_096, 65_536], ending: .hangUp)
            guard case .failed(let code) = outcome else {
                Issue.record(
                    "an oversized body (\(framing.isEmpty ? "unframed" : framing)) was \(String(describing: outcome))"
                )
                continue
            }
            #expect(code == .invalidResponse)
        }
    }

    // MARK: - JSON bodies through the model decoders

    /// Bodies of every model the client encodes or decodes, as Firecracker's wire format writes them.
    static func modelCorpus() throws -> [[UInt8]] {
        let encoder = APICoding.encoder()
        let values: [any Encodable] = [
            InstanceInfo(appName: "Firecracker", id: "vm-1", state: "Paused", vmmVersion: "1.12.1"),
            APIFault(faultMessage: "Invalid request method"),
            BootSource(kernelImagePath: "/k", bootArgs: "console=ttyS0", initrdPath: nil),
            MachineConfiguration(vcpuCount: 2, memSizeMib: 128, smt: false, trackDirtyPages: true),
            Drive(driveId: "rootfs", pathOnHost: "/r", isRootDevice: true, isReadOnly: false),
            NetworkInterface(ifaceId: "eth0", hostDevName: "tap0", guestMac: "06:00:AC:10:00:02"),
            Vsock(guestCid: 3, udsPath: "/v.sock"),
            LoggerConfiguration(logPath: "/l", level: .debug, showLevel: true, showLogOrigin: false),
            MetricsConfiguration(metricsPath: "/m"),
            InstanceAction(.instanceStart),
            VMStateChange(state: .paused),
            SnapshotCreateParameters(snapshotPath: "/s", memFilePath: "/mem"),
            SnapshotLoadParameters(
                snapshotPath: "/s",
                memBackend: MemoryBackend(backendType: .file, backendPath: "/mem")
            ),
        ]
        return try values.map { Array(try encoder.encode($0)) }
    }

    /// Decodes `body` as every model; each attempt ends as a value or `.invalidResponse`.
    static func decodeEverything(_ response: APIResponse) -> (decoded: Int, refused: Int) {
        var decoded = 0
        var refused = 0
        func attempt<T: Decodable>(_ type: T.Type) {
            do {
                _ = try response.decode(type, request: "fuzz")
                decoded += 1
            } catch let error as FirecrackerError {
                #expect(error.code == .invalidResponse && error.httpStatus == response.status)
                refused += 1
            } catch {
                Issue.record("decoding \(T.self) threw an untyped error: \(error)")
            }
        }
        attempt(InstanceInfo.self)
        attempt(APIFault.self)
        attempt(BootSource.self)
        attempt(MachineConfiguration.self)
        attempt(Drive.self)
        attempt(NetworkInterface.self)
        attempt(Vsock.self)
        attempt(LoggerConfiguration.self)
        attempt(MetricsConfiguration.self)
        attempt(InstanceAction.self)
        attempt(VMStateChange.self)
        attempt(SnapshotCreateParameters.self)
        attempt(SnapshotLoadParameters.self)
        attempt(MemoryBackend.self)
        let message = response.faultMessage
        #expect(!message.isEmpty && message.utf8.count <= 2_000)
        return (decoded, refused)
    }

    @Test("Mutated JSON bodies decode to a model or fail as .invalidResponse; faultMessage always answers")
    func jsonBodies() throws {
        let corpus = try Self.modelCorpus() + Self.bodies.map { Array($0.utf8) }
        var random = SplitMix64(seed: 0x5EED_0002)
        let inputs = 1_200
        var decoded = 0
        var refused = 0
        for number in 0..<inputs {
            var body = corpus[number % corpus.count]
            for _ in 0..<(1 + random.below(3)) {
                body =
                    random.chance(1, in: 4)
                    ? ByteMutator.mutate(body, using: &random) : JSONMutator.mutate(body, using: &random)
            }
            let counts = Self.decodeEverything(
                APIResponse(status: [200, 400, 500].randomElement(using: &random)!, body: body)
            )
            decoded += counts.decoded
            refused += counts.refused
        }
        #expect(decoded + refused == inputs * 14)
        #expect(decoded > inputs / 10 && refused > inputs)
        print(
            "fuzz: JSON bodies \(inputs) inputs × 14 model decoders + faultMessage: \(decoded) decoded, \(refused) refused, 0 crashes"
        )
    }

    @Test("Deeply nested and oversized JSON bodies are refused, not a stack overflow")
    func adversarialJSON() {
        for depth in [100, 10_000, 200_000] {
            for (open, close) in [("[", "]"), (#"{"a":"#, "}")] {
                let body = String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
                let counts = Self.decodeEverything(APIResponse(status: 400, body: Array(body.utf8)))
                // Shallow nested objects are still objects (a model with only optional fields takes them).
                if depth > 1_000 || open == "[" {
                    #expect(counts.decoded == 0, "depth \(depth)")
                    #expect(throws: FirecrackerError.self) { try FirecrackerMetrics(line: body) }
                }
            }
        }
        let wide = "{\"fault_message\":\"" + String(repeating: "é", count: 1_000_000) + "\"}"
        #expect(APIResponse(status: 400, body: Array(wide.utf8)).faultMessage.count == 2_000)
        #expect(
            APIResponse(status: 400, body: Array(#"{"fault_message":" "}"#.utf8)).faultMessage
                == "(empty fault message)"
        )
    }

    // MARK: - Metrics lines

    static let metricsLines = [
        #"{"utc_timestamp_ms":1,"latencies_us":{"load_snapshot":11432,"resume_vm":640,"pause_vm":0,"full_create_snapshot":0},"api_server":{"process_startup_time_us":1450}}"#,
        #"{"latencies_us":{"load_snapshot":900},"api_server":{"process_startup_time_us":1000}}"#,
        #"{"latencies_us":{"load_snapshot":0,"resume_vm":300}}"#,
    ]

    /// Numbers and values at the edges of what `NSNumber` and `UInt64` hold.
    static let metricValues = [
        "0", "1", "-1", "1.5", "-0.0", "1e300", "-1e300", "1e-300", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
        "99999999999999999999999999999", "true", "false", "null", "\"12\"", "[1]", "{}", "4.5e18", "9.3e18", "2e19",
    ]

    @Test("Mutated metrics lines parse or fail as .invalidResponse; numbers at every edge")
    func metricsLines() throws {
        var random = SplitMix64(seed: 0x5EED_0003)
        let inputs = 6_000
        var parsed = 0
        var refused = 0
        let keys = ["load_snapshot", "resume_vm", "pause_vm", "full_create_snapshot"]
        for number in 0..<inputs {
            var line: String
            if number % 3 == 0 {
                // Structure-aware: one latency (or the startup time) set to an edge value.
                let value = Self.metricValues.randomElement(using: &random)!
                line =
                    random.chance(1, in: 4)
                    ? #"{"api_server":{"process_startup_time_us":\#(value)}}"#
                    : #"{"latencies_us":{"\#(keys.randomElement(using: &random)!)":\#(value)}}"#
            } else {
                var bytes = Array(Self.metricsLines.randomElement(using: &random)!.utf8)
                for _ in 0..<(1 + random.below(3)) {
                    bytes =
                        random.chance(1, in: 3)
                        ? ByteMutator.mutate(bytes, using: &random) : JSONMutator.mutate(bytes, using: &random)
                }
                line = String(decoding: bytes, as: UTF8.self)
            }
            do {
                let metrics = try FirecrackerMetrics(line: line)
                parsed += 1
                for value in [
                    metrics.loadSnapshotMicroseconds, metrics.resumeMicroseconds, metrics.pauseMicroseconds,
                    metrics.fullCreateSnapshotMicroseconds, metrics.processStartupMicroseconds,
                ] {
                    #expect((value ?? 1) > 0, "a zero or negative latency is absent, not a value: \(line)")
                }
            } catch let error as FirecrackerError {
                #expect(error.code == .invalidResponse)
                refused += 1
            }
        }
        #expect(parsed + refused == inputs && parsed > inputs / 4 && refused > inputs / 10)
        // Whole files: mutated lines merged; one malformed line makes the file an error.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-metrics-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var files = 0
        for _ in 0..<200 {
            var text = (0..<(1 + random.below(5))).map { _ in Self.metricsLines.randomElement(using: &random)! }.joined(
                separator: "\n"
            )
            var bytes = Array(text.utf8)
            if random.chance(1, in: 2) { bytes = ByteMutator.mutate(bytes, using: &random) }
            text = String(decoding: bytes, as: UTF8.self)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            do {
                _ = try FirecrackerMetrics.latest(inFile: path)
            } catch let error as FirecrackerError {
                #expect(error.code == .invalidResponse)
            }
            files += 1
        }
        #expect(files == 200)
        print(
            "fuzz: metrics lines \(inputs) inputs, \(parsed) parsed, \(refused) refused; \(files) metrics files; 0 crashes"
        )
    }

    @Test("Numbers at the edges of NSNumber are a latency or absent, never a trap", arguments: metricValues)
    func metricEdge(value: String) throws {
        let metrics = try FirecrackerMetrics(line: #"{"latencies_us":{"load_snapshot":\#(value)}}"#)
        switch value {
        case "1": #expect(metrics.loadSnapshotMicroseconds == 1)
        case "9223372036854775807": #expect(metrics.loadSnapshotMicroseconds == 9_223_372_036_854_775_807)
        case "18446744073709551615": #expect(metrics.loadSnapshotMicroseconds == UInt64.max)
        case "0", "-1", "-0.0", "-1e300", "null", "\"12\"", "[1]", "{}", "-9223372036854775808", "false":
            #expect(metrics.loadSnapshotMicroseconds == nil)
        default: break
        }
    }

    // MARK: - Serial console

    @Test("Random console output never hides the line waited for")
    func consoleLines() async throws {
        var random = SplitMix64(seed: 0x5EED_0004)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-console-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inputs = 40
        var bytesTotal = 0
        for number in 0..<inputs {
            var noise: [UInt8] = []
            for _ in 0..<random.below(12) {
                switch random.below(5) {
                case 0: noise += (0..<random.below(200)).map { _ in UInt8.random(in: 0...255, using: &random) }
                case 1: noise += Array("SNAPBENCH-READ\r\n".utf8)  // a near miss
                case 2: noise += Array(repeating: UInt8(ascii: "a"), count: random.below(100_000))  // a long line
                case 3: noise += Array("\r\n\n\r".utf8)
                default: noise += [0xC3, 0x28, 0xF0, 0x9F, 0x9A, 0x80, 0x0A]  // bad and good UTF-8
                }
            }
            let marker = "FUZZ-READY \(number)"
            let path = "\(directory)/console-\(number)"
            let tail = Array("\n\(marker)\r\n".utf8) + (random.chance(1, in: 2) ? Array("after".utf8) : [])
            #expect(FileManager.default.createFile(atPath: path, contents: Data(noise + tail)))
            bytesTotal += noise.count + tail.count
            let console = SerialConsole(path: path)
            let line = try await console.waitForLine(startingWith: "FUZZ-READY", deadline: .now + .seconds(5))
            #expect(line.text == marker)
            #expect(console.transcript().contains(marker))
        }
        print("fuzz: serial console \(inputs) files (\(bytesTotal) bytes), every marker line found, 0 crashes")
    }
}

// MARK: - Generators

extension SplitMix64 {
    /// A number in `0..<limit` (0 when `limit` ≤ 0).
    mutating func below(_ limit: Int) -> Int { limit <= 0 ? 0 : next(below: limit) }

    /// True `count` times in `total`.
    mutating func chance(_ count: Int, in total: Int) -> Bool { below(total) < count }
}

/// Byte-level changes: flips, deletions, insertions, duplications, truncation.
enum ByteMutator {
    static let interesting: [[UInt8]] = [
        [0], [0xFF], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], Array("\r\n".utf8), Array("\n".utf8),
        Array("\r\n\r\n".utf8), Array(":".utf8), Array(" ".utf8), Array("\"".utf8), Array("\\".utf8),
    ]

    static func mutate(_ bytes: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        guard !bytes.isEmpty else { return interesting.randomElement(using: &random)! }
        let at = random.below(bytes.count)
        switch random.below(6) {
        case 0: bytes[at] ^= UInt8(1) << UInt8(random.below(8))
        case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(16)))
        case 2: bytes.insert(contentsOf: interesting.randomElement(using: &random)!, at: at)
        case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + random.below(32))], at: at)
        case 4: bytes.removeSubrange(at...)
        default: bytes[at] = UInt8.random(in: 0...255, using: &random)
        }
        return bytes
    }
}

/// JSON-aware changes: values of the wrong type, numbers at the edges, broken strings, deep nesting,
/// renamed and duplicated keys.
enum JSONMutator {
    static let values = [
        "null", "true", "false", "0", "-1", "1e999", "-1e999", "1.5", "18446744073709551616", "9223372036854775808",
        "\"\"", "\"x\"", "\"\\ud800\"", "\"\\u0000\"", "\"\\uZZZZ\"", "[]", "{}", "[1,2]", "{\"a\":1}", "\"名前🚀\"",
        "NaN", "Infinity", "01", "+1", ".5", "1.", "0x10", "'single'", String(repeating: "[", count: 600),
        String(repeating: "[", count: 20) + String(repeating: "]", count: 20),
    ]
    static let keys = [
        "\"fault_message\"", "\"faultMessage\"", "\"app_name\"", "\"state\"", "\"vcpu_count\"", "\"mem_backend\"",
        "\"backend_type\"", "\"\"", "\"a\\u0000b\"", "\"__proto__\"",
    ]

    static func mutate(_ bytes: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        // Value positions: after a colon or a comma inside an array.
        let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
        let quotes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") }
        switch random.below(7) {
        case 0, 1:  // replace a value
            guard let colon = colons.randomElement(using: &random) else { break }
            var end = colon + 1
            var depth = 0
            var inString = false
            while end < bytes.count {
                let byte = bytes[end]
                if inString {
                    if byte == UInt8(ascii: "\\") { end += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: ",") {
                    if depth == 0 { break }
                    if byte != UInt8(ascii: ",") { depth -= 1 }
                }
                end += 1
            }
            bytes.replaceSubrange((colon + 1)..<min(end, bytes.count), with: values.randomElement(using: &random)!.utf8)
        case 2:  // rename a key
            guard quotes.count >= 2 else { break }
            let start = random.below(quotes.count - 1)
            bytes.replaceSubrange(quotes[start]...quotes[start + 1], with: keys.randomElement(using: &random)!.utf8)
        case 3:  // duplicate a member
            guard bytes.first == UInt8(ascii: "{"), bytes.count > 2 else { break }
            let inner = bytes[1..<(bytes.count - 1)]
            if let comma = inner.firstIndex(of: UInt8(ascii: ",")) {
                bytes.insert(contentsOf: Array(bytes[1...comma]), at: 1)
            }
        case 4:  // wrap in nesting
            let depth = 1 + random.below(300)
            bytes =
                Array(repeating: UInt8(ascii: "["), count: depth) + bytes
                + Array(repeating: UInt8(ascii: "]"), count: depth)
        case 5:  // insert an escape or unicode into a string
            guard let quote = quotes.randomElement(using: &random) else { break }
            let inserts = ["\\", "\\u", "\\ud83d", "\\ud83d\\ude80", "\u{0}", "\n", "\u{7F}", "é", "\\\""]
            bytes.insert(contentsOf: inserts.randomElement(using: &random)!.utf8, at: quote + 1)
        default:  // truncate
            bytes.removeSubrange(random.below(bytes.count + 1)...)
        }
        return bytes
    }
}
