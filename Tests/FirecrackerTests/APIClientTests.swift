import Firecracker
import Foundation
import NIOHTTP1
import Testing

@Suite("HTTP client over the API socket", .timeLimit(.minutes(1)))
struct APIClientTests {
    private func withServer(_ body: (TestAPIServer, FirecrackerAPIClient) async throws -> Void) async throws {
        let server = try await TestAPIServer.start()
        let client = FirecrackerAPIClient(socketPath: server.socketPath, defaultTimeout: .seconds(5))
        do {
            try await body(server, client)
        } catch {
            await client.close()
            await server.stop()
            throw error
        }
        await client.close()
        await server.stop()
    }

    @Test("requests on one keep-alive connection; typed decoding of a success body")
    func keepAlive() async throws {
        try await withServer { server, client in
            try await client.send(.PUT, "/ok", json: InstanceAction(.flushMetrics))
            let info = try await client.send(.GET, "/info").decode(InstanceInfo.self, request: "GET /info")
            #expect(info.id == "test")
            try await client.send(.PATCH, "/ok", json: VMStateChange(state: .resumed))
            #expect(server.connectionCount == 1)
        }
    }

    @Test("a response written in pieces is reassembled")
    func splitResponse() async throws {
        try await withServer { _, client in
            let response = try await client.send(.GET, "/split")
            #expect(response.status == 200)
            #expect(try response.decode(InstanceInfo.self, request: "GET /split").id == "split")
        }
    }

    @Test(
        "an error status becomes .apiFault carrying Firecracker's fault_message",
        arguments: [
            ("/fault", 400, "The requested operation is not supported after starting the microVM."),
            ("/text-fault", 500, "something broke"),
        ]
    )
    func faults(path: String, status: Int, message: String) async throws {
        try await withServer { _, client in
            let error = try await #require(throws: FirecrackerError.self) {
                try await client.send(.PUT, path, json: InstanceAction(.instanceStart))
            }
            #expect(error.code == .apiFault)
            #expect(error.httpStatus == status)
            #expect(error.faultMessage == message)
        }
    }

    @Test("a request with no answer times out, and the next request reconnects")
    func slowSocket() async throws {
        try await withServer { server, client in
            let started = ContinuousClock.now
            let error = try await #require(throws: FirecrackerError.self) {
                try await client.send(.GET, "/slow", timeout: .milliseconds(100))
            }
            #expect(error.code == .timeout)
            #expect(started.duration(to: .now) < .seconds(5))
            try await client.send(.PUT, "/ok", json: InstanceAction(.flushMetrics))
            #expect(server.connectionCount == 2)
        }
    }

    @Test("a socket closed mid-request gives .connectionClosed; the client recovers")
    func closedSocket() async throws {
        try await withServer { _, client in
            let error = try await #require(throws: FirecrackerError.self) {
                try await client.send(.GET, "/close")
            }
            #expect(error.code == .connectionClosed)
            #expect(try await client.instanceInfoLike() == 200)
        }
    }

    @Test("bytes that are not HTTP give .invalidResponse")
    func garbage() async throws {
        try await withServer { _, client in
            let error = try await #require(throws: FirecrackerError.self) {
                try await client.send(.GET, "/garbage")
            }
            #expect(error.code == .invalidResponse)
        }
    }

    @Test("no socket gives .connectFailed naming the path")
    func noSocket() async throws {
        let client = FirecrackerAPIClient(socketPath: "/nonexistent/api.sock")
        let error = try await #require(throws: FirecrackerError.self) { try await client.connect() }
        #expect(error.code == .connectFailed)
        #expect(error.message.contains("/nonexistent/api.sock"))
    }
}

extension FirecrackerAPIClient {
    fileprivate func instanceInfoLike() async throws -> Int {
        try await send(.GET, "/info").status
    }
}

extension APIClientTests {
    @Test("every typed endpoint sends its request and accepts a 204")
    func endpoints() async throws {
        try await withServer { server, client in
            #expect(try await client.instanceInfo().appName == "Firecracker")
            try await client.configure(BootSource(kernelImagePath: "k"))
            try await client.configure(MachineConfiguration(vcpuCount: 1, memSizeMib: 128))
            try await client.configure(Drive(driveId: "rootfs", pathOnHost: "r", isRootDevice: true, isReadOnly: true))
            try await client.configure(NetworkInterface(ifaceId: "eth0", hostDevName: "tap0"))
            try await client.configure(Vsock(guestCid: 3, udsPath: "v.sock"))
            try await client.configure(LoggerConfiguration(logPath: "l"))
            try await client.configure(MetricsConfiguration(metricsPath: "m"))
            try await client.perform(InstanceAction(.instanceStart))
            try await client.setState(.paused)
            try await client.createSnapshot(SnapshotCreateParameters(snapshotPath: "s", memFilePath: "m"))
            try await client.loadSnapshot(
                SnapshotLoadParameters(
                    snapshotPath: "s",
                    memBackend: MemoryBackend(backendType: .uffd, backendPath: "u")
                )
            )
            #expect(server.connectionCount == 1)
        }
    }
}
