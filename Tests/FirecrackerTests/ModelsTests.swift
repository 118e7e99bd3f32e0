import Firecracker
import Foundation
import Testing

@Suite("API models")
struct ModelsTests {
    private func json(_ value: some Encodable) throws -> String {
        String(decoding: try APICoding.encoder().encode(value), as: UTF8.self)
    }

    @Test("snapshot load uses Firecracker's snake_case names and omits absent fields")
    func snapshotLoad() throws {
        let load = SnapshotLoadParameters(
            snapshotPath: "vm.state",
            memBackend: MemoryBackend(backendType: .file, backendPath: "vm.mem"),
            resumeVm: false,
            networkOverrides: [NetworkOverride(ifaceId: "eth0", hostDevName: "tap3")]
        )
        #expect(
            try json(load)
                == #"{"mem_backend":{"backend_path":"vm.mem","backend_type":"File"},"network_overrides":[{"host_dev_name":"tap3","iface_id":"eth0"}],"resume_vm":false,"snapshot_path":"vm.state"}"#
        )
    }

    @Test("every request body encodes to the v1.12 field names")
    func requestBodies() throws {
        #expect(
            try json(BootSource(kernelImagePath: "k", bootArgs: "ws=1"))
                == #"{"boot_args":"ws=1","kernel_image_path":"k"}"#
        )
        #expect(
            try json(MachineConfiguration(vcpuCount: 2, memSizeMib: 256)) == #"{"mem_size_mib":256,"vcpu_count":2}"#
        )
        #expect(
            try json(Drive(driveId: "rootfs", pathOnHost: "/r", isRootDevice: true, isReadOnly: false))
                == #"{"drive_id":"rootfs","is_read_only":false,"is_root_device":true,"path_on_host":"\/r"}"#
        )
        #expect(
            try json(NetworkInterface(ifaceId: "eth0", hostDevName: "tap0", guestMac: "06:00:00:00:00:01"))
                == #"{"guest_mac":"06:00:00:00:00:01","host_dev_name":"tap0","iface_id":"eth0"}"#
        )
        #expect(try json(Vsock(guestCid: 3, udsPath: "v.sock")) == #"{"guest_cid":3,"uds_path":"v.sock"}"#)
        #expect(
            try json(LoggerConfiguration(logPath: "l", level: .info, showLevel: true))
                == #"{"level":"Info","log_path":"l","show_level":true}"#
        )
        #expect(try json(MetricsConfiguration(metricsPath: "m")) == #"{"metrics_path":"m"}"#)
        #expect(try json(InstanceAction(.flushMetrics)) == #"{"action_type":"FlushMetrics"}"#)
        #expect(try json(VMStateChange(state: .paused)) == #"{"state":"Paused"}"#)
        #expect(
            try json(SnapshotCreateParameters(snapshotType: .diff, snapshotPath: "s", memFilePath: "m"))
                == #"{"mem_file_path":"m","snapshot_path":"s","snapshot_type":"Diff"}"#
        )
    }

    @Test("responses decode: instance info and Firecracker's fault body")
    func responses() throws {
        let info = APIResponse(
            status: 200,
            body: Array(#"{"app_name":"Firecracker","id":"vm-1","state":"Paused","vmm_version":"1.12.1"}"#.utf8)
        )
        #expect(
            try info.decode(InstanceInfo.self, request: "GET /")
                == InstanceInfo(appName: "Firecracker", id: "vm-1", state: "Paused", vmmVersion: "1.12.1")
        )
        let fault = APIResponse(status: 400, body: Array(#"{"fault_message":"Load snapshot error"}"#.utf8))
        #expect(!fault.isSuccess)
        #expect(fault.faultMessage == "Load snapshot error")
        #expect(APIResponse(status: 500, body: Array("oops".utf8)).faultMessage == "oops")
        #expect(APIResponse(status: 500, body: []).faultMessage == "(empty body)")
        #expect(throws: FirecrackerError.self) { try fault.decode(InstanceInfo.self, request: "GET /") }
    }

    @Test("errors describe their code, status and fault")
    func errorDescription() {
        let error = FirecrackerError(.apiFault, "PUT /x was refused", faultMessage: "nope", httpStatus: 400)
        #expect(error.description == "apiFault: PUT /x was refused (HTTP 400): nope")
        let wrapped = FirecrackerError(.system, "failed", underlying: FirecrackerError(.timeout, "late"))
        #expect(wrapped.description.contains("[timeout: late]"))
    }
}
