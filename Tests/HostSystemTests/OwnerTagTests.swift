import Glibc
import HostSystem
import Subprocess
import Synchronization
import SystemPackage
import Testing

@Suite("Owner tags and the orphan sweep")
struct OwnerTagTests {
    @Test(
        "owner pids are read from names that carry one",
        arguments: [
            ("snapbench-4242-1a2b3c4d", Int32?.some(4242)),
            ("snapbench-1-x", 1),
            ("snapbench-4242", nil),
            ("snapbench-4242-", nil),
            ("snapbench-abc-1a2b", nil),
            ("snapbench-0-1a2b", nil),
            ("snapbench-99999999999-1a2b", nil),
            ("snapbench--1-1a2b", nil),
            ("snapbench-+1-1a2b", nil),
            ("other-4242-1a2b", nil),
            ("snapbenchx-4242-1a2b", nil),
        ]
    )
    func parsing(name: String, expected: Int32?) {
        #expect(OwnerTag(parsing: name, kind: "snapbench")?.pid == expected)
    }

    @Test("a tag names its resources <kind>-<pid>-<suffix>, and reads back from them")
    func roundTrip() throws {
        let tag = OwnerTag(kind: "pool")
        #expect(tag.description == "pool-\(getpid())")
        #expect(tag.name("1a2b") == "pool-\(getpid())-1a2b")
        #expect(OwnerTag(parsing: tag.name("1a2b"), kind: "pool") == tag)
        #expect(OwnerTag(parsing: tag.name("1a2b"), kind: "fs") == nil)
    }

    @Test("a marker file's pid= line names the owner; text without one names none")
    func marker() {
        #expect(OwnerTag(marker: "id=vm-1\npid=977\n", kind: "vmm")?.pid == 977)
        #expect(OwnerTag(marker: "id=vm-1\n", kind: "vmm") == nil)
        #expect(OwnerTag(marker: "pid=zero\n", kind: "vmm") == nil)
    }

    @Test("this process's resources are never orphans; an ended process's are")
    func orphaned() async throws {
        #expect(!OwnerTag(kind: "x").isOrphaned)
        let dead = try await Subprocess.run(.path("/bin/true"), output: .discarded).processIdentifier.value
        #expect(OwnerTag(kind: "x", pid: dead).isOrphaned)
    }

    @Test("the sweep removes exactly the orphans, tries every one, and reports what failed")
    func sweep() async throws {
        let dead = try await Subprocess.run(.path("/bin/true"), output: .discarded).processIdentifier.value
        let resources = FakeResources(names: [
            "t-\(dead)-a", "t-\(dead)-stuck", "t-\(getpid())-mine", "t-nopid", "other-\(dead)-a", "t-1-init",
        ])
        let sweep = await OrphanSweep.run(resources)
        #expect(sweep.reclaimed.map(\.name) == ["t-\(dead)-a"])
        #expect(sweep.reclaimed.first?.owner.pid == dead)
        #expect(sweep.failures.map(\.name) == ["t-\(dead)-stuck"])
        #expect(sweep.firstError is FakeResources.Stuck)
        #expect(
            resources.remaining
                == ["other-\(dead)-a", "t-\(dead)-stuck", "t-\(getpid())-mine", "t-1-init", "t-nopid"].sorted()
        )
    }

    @Test("a listing that fails is reported, and nothing is removed")
    func listingFails() async {
        let sweep = await OrphanSweep.run(FakeResources(names: nil))
        #expect(sweep.reclaimed.isEmpty)
        #expect(sweep.listingError is FakeResources.Stuck)
        #expect(sweep.firstError is FakeResources.Stuck)
    }
}

/// Resources in memory; a name containing `stuck` refuses removal, and `nil` names refuse listing.
private final class FakeResources: TaggedResources {
    struct Stuck: Error {}
    let kind = "t"
    let noun = "fake"
    private let present: Mutex<[String]?>

    init(names: [String]?) { present = Mutex(names) }

    var remaining: [String] { present.withLock { ($0 ?? []).sorted() } }

    func names() async throws -> [String] {
        guard let names = present.withLock({ $0 }) else { throw Stuck() }
        return names
    }

    func remove(_ name: String) async throws {
        guard !name.contains("stuck") else { throw Stuck() }
        present.withLock { $0?.removeAll { $0 == name } }
    }
}
