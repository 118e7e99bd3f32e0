import Firecracker
import Foundation
import Testing

/// The agent's channel against a stand-in for the vsock device's socket: the failures a guest gives only by
/// accident, each typed, and the connection closed whatever happened.
@Suite("The agent's channel, against a stand-in vsock socket", .timeLimit(.minutes(1)))
struct AgentChannelTests {
    @Test("a reply cut off mid-line is agentReset; an answer to CONNECT that is not OK is agentProtocol")
    func failuresMidExchange() async throws {
        let muxer = try await TestVsockMuxer.start()
        do {
            try await Self.failures(against: muxer)
        } catch {
            await muxer.stop()
            throw error
        }
        await muxer.stop()
        #expect(!FileManager.default.fileExists(atPath: muxer.socketPath))
    }

    private static func failures(against muxer: TestVsockMuxer) async throws {
        // The stand-in itself answers a whole line when asked to.
        let whole = try await AgentChannel.ask(
            socketPath: muxer.socketPath,
            port: 1024,
            request: "ready",
            deadline: .now + .seconds(5)
        )
        #expect(whole.reply == "Rready" && whole.sentWithConnect)
        let cutOff = try await #require(throws: FirecrackerError.self) {
            try await AgentChannel.ask(
                socketPath: muxer.socketPath,
                port: TestVsockMuxer.cutOffPort,
                request: "ready",
                deadline: .now + .seconds(5)
            )
        }
        #expect(cutOff.code == .agentReset, "\(cutOff)")
        let noOK = try await #require(throws: FirecrackerError.self) {
            try await AgentChannel.ask(
                socketPath: muxer.socketPath,
                port: TestVsockMuxer.noOKPort,
                request: "ready",
                deadline: .now + .seconds(5)
            )
        }
        #expect(noOK.code == .agentProtocol && noOK.message.contains("`NOPE`"), "\(noOK)")
    }
}
