import Firecracker
import Yams

/// `vm.readiness`: how a clone proves it runs after each resume — a line on its serial console (`serial`, the
/// default), or its agent's reply over vsock (`vsock`, or a mapping `{vsock: {port, request, expect}}`), as an
/// orchestrator reaches a Linux guest's agent.
extension ScenarioReader {
    static let readinessChannels = ["serial", "vsock"]
    static let agentKeys = ["port", "request", "expect"]

    /// The agent probe `vm.readiness` asks for; `nil` for the serial console.
    func readiness(_ vm: Node) throws -> AgentProbe? {
        let fields = try Fields(vm, path: "vm", document: document)
        guard let node = fields["readiness"] else { return nil }
        if case .scalar = node {
            return try document.word(node, path: "vm.readiness", from: Self.readinessChannels) == "vsock"
                ? AgentProbe.builtIn : nil
        }
        let channel = try Fields(node, path: "vm.readiness", document: document)
        try channel.rejectUnknown(allowed: ["vsock"])
        let settings = try Fields(channel.required("vsock"), path: "vm.readiness.vsock", document: document)
        try settings.rejectUnknown(allowed: Self.agentKeys)
        var probe = AgentProbe.builtIn
        if let port = settings["port"] {
            probe.port = UInt32(
                try document.integer(port, path: "vm.readiness.vsock.port", minimum: 1, maximum: 0xFFFF_FFFE)
            )
        }
        for (key, path) in [("request", "vm.readiness.vsock.request"), ("expect", "vm.readiness.vsock.expect")] {
            guard let node = settings[key] else { continue }
            let text = try document.string(node, path: path)
            guard !text.contains("\n"), text.utf8.count <= 256 else {
                throw document.error(.invalidValue, at: node, path: path, "must be one line of at most 256 bytes")
            }
            if key == "request" { probe.request = text } else { probe.expect = text }
        }
        return probe
    }
}
