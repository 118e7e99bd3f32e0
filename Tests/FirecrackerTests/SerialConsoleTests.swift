import Firecracker
import Foundation
import TestSupport
import Testing

@Suite("Serial console reader", .timeLimit(.minutes(1)))
struct SerialConsoleTests {
    private func withConsoleFile(_ body: (String, SerialConsole) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("serial-\(UUID()).log").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path, SerialConsole(path: path))
    }

    private func append(_ text: String, to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    @Test("lines are consumed in order: the second wait finds the second token")
    func ordered() async throws {
        try await withConsoleFile { path, console in
            try append("boot banner\nSNAPBENCH-READY ws=4\nSNAPBENCH-RESUMED gen=aa n=1\r\n", to: path)
            let ready = try await console.waitForLine(startingWith: "SNAPBENCH-READY", deadline: .now + .seconds(1))
            #expect(ready.text == "SNAPBENCH-READY ws=4")
            let first = try await console.waitForLine(startingWith: "SNAPBENCH-RESUMED", deadline: .now + .seconds(1))
            #expect(first.text == "SNAPBENCH-RESUMED gen=aa n=1")
            async let second = console.waitForLine(startingWith: "SNAPBENCH-RESUMED", deadline: .now + .seconds(5))
            try append("SNAPBENCH-RES", to: path)
            try append("UMED gen=aa n=2\n", to: path)
            #expect(try await second.text == "SNAPBENCH-RESUMED gen=aa n=2")
            #expect(console.transcript().contains("boot banner"))
        }
    }

    @Test("no token by the deadline is .guestNotReady with the console so far")
    func deadline() async throws {
        try await withConsoleFile { path, console in
            try append("something else\n", to: path)
            let error = try await #require(throws: FirecrackerError.self) {
                try await console.waitForLine(startingWith: "NEVER", deadline: .now + .milliseconds(30))
            }
            #expect(error.code == .guestNotReady)
            #expect(error.message.contains("something else"))
        }
    }

    @Test("an abort condition ends the wait with its error")
    func abort() async throws {
        try await withConsoleFile { _, console in
            let error = try await #require(throws: FirecrackerError.self) {
                try await console.waitForLine(startingWith: "NEVER", deadline: .now + .seconds(5)) {
                    FirecrackerError(.processExited, "gone")
                }
            }
            #expect(error.code == .processExited)
        }
    }

    @Test("cancellation ends the wait promptly")
    func cancellation() async throws {
        try await withConsoleFile { _, console in
            let task = Task { try await console.waitForLine(startingWith: "NEVER", deadline: .now + .seconds(30)) }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }
}

extension SerialConsoleTests {
    @Test("thousands of waits share one inotify instance: none fails, no descriptor is left open")
    func manyWaits() async throws {
        try await withConsoleFile { path, console in
            try append(String(repeating: "TOKEN x\n", count: 2_000), to: path)
            _ = try await console.waitForLine(startingWith: "TOKEN", deadline: .now + .seconds(1))
            let descriptors = Leftovers.openDescriptorCount()
            for _ in 1..<2_000 {
                _ = try await console.waitForLine(startingWith: "TOKEN", deadline: .now + .seconds(1))
            }
            #expect(Leftovers.openDescriptorCount() <= descriptors)
            async let concurrent = withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let other = SerialConsole(path: path)
                        return try await other.waitForLine(startingWith: "LATE \(index)", deadline: .now + .seconds(10))
                            .text == "LATE \(index)"
                    }
                }
                return try await group.reduce(true) { $0 && $1 }
            }
            try append((0..<200).map { "LATE \($0)\n" }.joined(), to: path)
            #expect(try await concurrent)
        }
    }
}
