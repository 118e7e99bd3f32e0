public import Foundation
public import HostSystem

extension ProjectPaths {
    /// The built-in guest image: `explicitPath`, `$SNAPBENCH_GUEST`, or the first project root that has one.
    ///
    /// ```swift
    /// let image = try ProjectPaths.locateGuest()  // e.g. "/src/snapbench/.snapbench/guest/snapbench-guest.elf"
    /// ```
    ///
    /// - Throws: `FirecrackerError(.binaryNotFound)` with the places searched.
    public static func locateGuest(
        explicitPath: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        projectRoots: [String] = candidateRoots()
    ) throws -> String {
        var candidates: [String] = []
        if let explicitPath { candidates.append(explicitPath) }
        if let fromEnvironment = environment[guestEnvironmentVariable], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        if explicitPath == nil { candidates += projectRoots.map { $0 + "/" + guest } }
        // Absolute: Firecracker opens the image from its VM's own directory.
        let readable = candidates.first { FileManager.default.isReadableFile(atPath: $0) }
        guard let path = readable.map(absolute) else {
            throw FirecrackerError(
                .binaryNotFound,
                "the built-in guest is not built (searched: \(candidates.joined(separator: ", "))); run scripts/setup"
            )
        }
        return path
    }
}
