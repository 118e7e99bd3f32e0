import Harness
import Testing

@Suite("jemalloc statistics")
struct JemallocTests {
    @Test("jemalloc is this process's allocator and `allocated` follows a live 32 MiB allocation")
    func allocatedFollows() throws {
        let jemalloc = try #require(Jemalloc(), "jemalloc must be linked as the allocator")
        #expect(Jemalloc.version?.hasPrefix("5.") == true)
        let before = try #require(jemalloc.statistics())
        let bytes = 32 * 1_048_576
        let block = [UInt8](repeating: 7, count: bytes)
        let during = try #require(jemalloc.statistics())
        #expect(during.allocated >= before.allocated + UInt64(bytes) - 1_048_576)
        #expect(during.active >= during.allocated)
        #expect(during.resident >= during.active / 2)
        #expect(during.mapped >= during.active)
        #expect(block[bytes - 1] == 7)
    }
}
