import Firecracker
import Testing

@Suite("Page sets: recorded working sets and their runs")
struct PageSetTests {
    @Test("runs group consecutive pages; pages outside the set are ignored")
    func runs() {
        var pages = PageSet(pageCount: 40)
        for page in [0, 1, 2, 7, 8, 9, 31, 39, 40, -1] { pages.insert(page) }
        #expect(pages.count == 8)
        #expect(pages.runs.map { [$0.first, $0.count] } == [[0, 3], [7, 3], [31, 1], [39, 1]])
        #expect(pages.contains(8) && !pages.contains(10) && !pages.contains(40))
        #expect(PageSet(pageCount: 0).runs.isEmpty)
    }

    @Test("all pages is one run of every page, for sizes on and off a byte boundary")
    func all() {
        for count in [1, 8, 13, 32_768] {
            let all = PageSet.all(pageCount: count)
            #expect(all.count == count)
            #expect(all.runs.map { [$0.first, $0.count] } == [[0, count]])
        }
    }
}
