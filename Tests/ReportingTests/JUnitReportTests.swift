import Foundation
import FoundationXML
import Reporting
import TestSupport
import Testing

@Suite("JUnit XML")
struct JUnitReportTests {
    static func suite(_ report: RunReport) throws -> XMLElement {
        let document = try XMLDocument(xmlString: report.junitXML(), options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        return try #require(root.elements(forName: "testsuite").first)
    }

    @Test("one test case per gate; failures counted and carrying measured against target")
    func gates() throws {
        let suite = try Self.suite(ReportFixtures.rendered())
        #expect(suite.attribute(forName: "name")?.stringValue == "snapbench.fixture")
        #expect(suite.attribute(forName: "tests")?.stringValue == "3")
        #expect(suite.attribute(forName: "failures")?.stringValue == "1")
        let cases = suite.elements(forName: "testcase")
        #expect(
            cases.compactMap { $0.attribute(forName: "name")?.stringValue } == ReportFixtures.gates.map(\.expression)
        )
        let failures = cases.flatMap { $0.elements(forName: "failure") }
        #expect(failures.count == 1)
        #expect(
            failures.first?.attribute(forName: "message")?.stringValue
                == "restore_ms p99 < 15: measured 19, target < 15"
        )
        #expect(failures.first?.stringValue == "measured 19.0, needs < 15.0")
    }

    @Test("properties name the verdict and the backend; the summary goes to system-out")
    func properties() throws {
        let suite = try Self.suite(ReportFixtures.rendered(backend: "simulated"))
        let properties = suite.elements(forName: "properties").first?.elements(forName: "property") ?? []
        let pairs = Dictionary(
            uniqueKeysWithValues: properties.compactMap { property -> (String, String)? in
                guard let name = property.attribute(forName: "name")?.stringValue,
                    let value = property.attribute(forName: "value")?.stringValue
                else { return nil }
                return (name, value)
            }
        )
        #expect(pairs["verdict"] == "fail")
        #expect(pairs["backend"] == "simulated")
        #expect(pairs["firecracker"] == nil)
        #expect(pairs["description"] == "A fixture with <markup> & \"quotes\"")
        let out = suite.elements(forName: "system-out").first?.stringValue ?? ""
        #expect(out.contains("spawn: p50 1.80 ms, p95 3.10 ms"))
        #expect(out.contains("fault vmm_crash at 8.00 s (applied): pool: crashed ×2;"))
        #expect(out.contains("fault disk_full at 10.00 s (NOT applied): not applied: the simulated backend"))
    }

    @Test("a run that did not pass but failed no gate gets a failing verdict case")
    func verdict() throws {
        let passing = ReportFixtures.gates.filter(\.passed)
        let incomplete = try Self.suite(ReportFixtures.rendered(gates: passing, verdict: .incomplete))
        #expect(incomplete.attribute(forName: "tests")?.stringValue == "3")
        #expect(incomplete.attribute(forName: "failures")?.stringValue == "1")
        let last = incomplete.elements(forName: "testcase").last
        #expect(last?.attribute(forName: "name")?.stringValue == "verdict")
        #expect(
            last?.elements(forName: "failure").first?.attribute(forName: "message")?.stringValue
                == "the run's verdict is incomplete"
        )
        let passed = try Self.suite(ReportFixtures.rendered(gates: passing, verdict: .pass))
        #expect(passed.attribute(forName: "failures")?.stringValue == "0")
        #expect(passed.elements(forName: "testcase").count == 2)
    }

    @Test("names with markup survive as text, and a gate the harness cannot parse still explains itself")
    func escaping() throws {
        let odd = GateResult(expression: "run completes", measured: nil, passed: false, reason: "pool <died> & left")
        let xml = ReportFixtures.rendered(scenario: "a<&>\"b", gates: [odd], verdict: .incomplete).junitXML()
        #expect(!xml.contains("a<&>"))
        let suite = try Self.suite(ReportFixtures.rendered(scenario: "a<&>\"b", gates: [odd], verdict: .incomplete))
        #expect(suite.attribute(forName: "name")?.stringValue == "snapbench.a<&>\"b")
        let failure = suite.elements(forName: "testcase").first?.elements(forName: "failure").first
        #expect(
            failure?.attribute(forName: "message")?.stringValue
                == "run completes: not measured (pool <died> & left)"
        )
    }
}
