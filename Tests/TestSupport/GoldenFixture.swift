package import Firecracker

/// Builds a golden snapshot of the built-in guest in a scratch directory for the duration of `body`.
///
/// - Parameters:
///   - workingSetMiB: MiB the guest writes before the snapshot.
///   - touch: what the guest re-touches after every resume, if anything.
///   - hugePages: back guest memory with 2 MiB huge pages (reserve them first).
///   - adjust: changes to the spec before the build (devices, readiness over vsock).
///   - body: receives the installation, the snapshot and a scratch directory for clones.
package func withGoldenSnapshot<T: Sendable>(
    workingSetMiB: Int = 4,
    touch: WorkingSetTouch? = nil,
    hugePages: Bool = false,
    adjust: (inout VMSpec) -> Void = { _ in },
    _ name: String = #function,
    body: (FirecrackerInstallation, GoldenSnapshot, String) async throws -> T
) async throws -> T {
    let installation = try await TestEnvironment.installation()
    let guest = try TestEnvironment.guestPath()
    let scratch = try TestEnvironment.scratchDirectory(name)
    defer { TestEnvironment.remove(scratch) }
    var spec = VMSpec.builtInGuest(imagePath: guest, workingSetMiB: workingSetMiB, touch: touch, hugePages: hugePages)
    adjust(&spec)
    let snapshot = try await GoldenSnapshot.build(
        spec: spec,
        installation: installation,
        into: scratch + "/golden"
    )
    return try await body(installation, snapshot, scratch + "/clones")
}
