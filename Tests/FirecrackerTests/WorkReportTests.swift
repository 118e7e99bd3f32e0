import Firecracker
import MicroVM
import Testing

@Suite("The guest's work report and its command line")
struct WorkReportTests {
    @Test("W<microseconds>/<wrong pages> parses; anything else is no report")
    func parsing() {
        let now = ContinuousClock.now
        let report = WorkReport(line: "W48213/2", observedAt: now)
        #expect(report == WorkReport(token: "W48213/2", guestMicroseconds: 48_213, wrongPages: 2, observedAt: now))
        for line in ["", "W", "W12", "W12/", "W/3", "W1/2/3", "Wx/0", "R0123/1", "W-1/0", "W1 /0", "W١/0"] {
            #expect(WorkReport(line: line, observedAt: now) == nil, "\(line)")
        }
    }

    @Test("the touch becomes the guest's command-line words; a random order never has seed 0")
    func bootArgs() {
        let sequential = VMSpec.builtInGuest(imagePath: "/g", workingSetMiB: 16, touch: WorkingSetTouch(mebibytes: 8))
        #expect(sequential.bootArgs == "ws=16 touch=8 touchseed=0 touchw=0")
        let random = WorkingSetTouch(mebibytes: 2, order: .random, access: .write, seed: 0)
        #expect(random.seed == 1 && random.bootArgs == "touch=2 touchseed=1 touchw=1")
        #expect(VMSpec.builtInGuest(imagePath: "/g").bootArgs == "ws=16")
        #expect(ReadinessProbe.builtInGuest.workPrefix == "W")
    }
}
