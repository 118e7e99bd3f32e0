import Reporting
import Testing

@Suite("Text tables")
struct TextTableTests {
    @Test("columns align left or right under a rule; short rows are padded, long rows cut")
    func render() {
        var table = TextTable(columns: ["stage", "p50"], alignments: [.left, .right])
        table.append(["load", "12.40"])
        table.append(["resume"])
        table.append(["x", "1.00", "ignored"])
        #expect(
            table.render() == """
                stage     p50
                ------  -----
                load    12.40
                resume
                x        1.00
                """
        )
        #expect(table.rows.count == 3)
    }

    @Test(
        "milliseconds are printed with fixed decimals",
        arguments: [
            (12.345, 2, "12.35"), (3.0, 2, "3.00"), (0.5, 3, "0.500"), (7.0, 0, "7.0"),
        ]
    )
    func milliseconds(value: Double, decimals: Int, expected: String) {
        #expect(formatMilliseconds(value, decimals: decimals) == expected)
    }

    @Test("an absent figure is a dash")
    func absent() {
        #expect(formatMilliseconds(nil) == "–")
    }
}
