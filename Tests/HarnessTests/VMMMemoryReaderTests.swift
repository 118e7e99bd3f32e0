import Foundation
import Synchronization
import Testing

@testable import Harness

@Suite("VMM memory within a read budget")
struct VMMMemoryReaderTests {
    /// PSS by pid, counting the reads.
    final class FakeMemory: Sendable {
        let pss = Mutex<[Int32: UInt64]>([:])
        let reads = Mutex<[Int32]>([])

        func read(_ pid: Int32) -> UInt64? {
            reads.withLock { $0.append(pid) }
            return pss.withLock { $0[pid] }
        }

        func takeReads() -> [Int32] {
            reads.withLock { reads in
                defer { reads.removeAll() }
                return reads
            }
        }
    }

    @Test("new VMMs are read first, then the stalest; no more than the budget per sample; gone VMMs drop out")
    func budget() {
        let memory = FakeMemory()
        memory.pss.withLock { $0 = [1: 10, 2: 20, 3: 30, 4: 40, 5: 50] }
        var reader = VMMMemoryReader(budget: 2, readPSS: memory.read)
        var figures = reader.read(pids: [1, 2, 3], warm: [1])
        #expect(memory.takeReads() == [1, 2])
        #expect(figures == .init(sum: 30, maximum: 20, count: 2, warmSum: 10, warmCount: 1))
        figures = reader.read(pids: [1, 2, 3], warm: [1])
        #expect(memory.takeReads() == [3, 1])  // the unread one, then the stalest
        #expect(figures.sum == 60 && figures.count == 3)
        memory.pss.withLock { $0[2] = 25 }
        figures = reader.read(pids: [2, 3, 4], warm: [])
        #expect(memory.takeReads() == [4, 2])  // 1 is gone; 4 is new; 2 is the stalest left
        #expect(figures == .init(sum: 95, maximum: 40, count: 3, warmSum: 0, warmCount: 0))
        // A VMM that vanished between the listing and the read is not counted.
        memory.pss.withLock { $0[5] = nil }
        figures = reader.read(pids: [5], warm: [])
        #expect(figures.count == 0 && figures.sum == 0)
    }

    @Test("a VMM's PSS counts its hugetlb pages, which the kernel leaves out of Pss")
    func hugetlbCounted() {
        let rollup = """
            55ff4228b000-7ffce488c000 ---p 00000000 00:00 0                          [rollup]
            Rss:                1732 kB
            Pss:                 625 kB
            Pss_Anon:            112 kB
            Shared_Hugetlb:        0 kB
            Private_Hugetlb:   16384 kB
            """
        #expect(ProcessMemory.proportionalSetSize(smapsRollup: rollup) == (625 + 16_384) * 1024)
        let plain = rollup.replacingOccurrences(of: "16384", with: "0")
        #expect(ProcessMemory.proportionalSetSize(smapsRollup: plain) == 625 * 1024)
        #expect(ProcessMemory.proportionalSetSize(smapsRollup: "Rss: 4 kB") == nil)
        #expect(ProcessMemory.proportionalSetSize(of: getpid()).map { $0 > 0 } == true)
    }
}
