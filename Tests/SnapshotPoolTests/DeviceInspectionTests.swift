import Firecracker
import Foundation
import Testing

@testable import SnapshotPool

@Suite("Device inspection")
struct DeviceInspectionTests {
    static let spec: VMSpec = {
        var spec = VMSpec.builtInGuest(imagePath: "/guest.elf")
        spec.networkInterfaces = [NetworkInterface(ifaceId: "eth0", hostDevName: "tap0")]
        spec.blockDevices = BlockDevices(count: 1, sizeMiB: 1, sharing: .readOnly)
        spec.balloon = Balloon(amountMib: 0, deflateOnOom: true)
        spec.vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
        return spec
    }()

    @Test("the VMM's own account of its devices is held against the snapshot's spec, device by device")
    func configuration() {
        let whole = VMConfiguration(
            drives: Self.spec.allDrives,
            networkInterfaces: Self.spec.networkInterfaces,
            balloon: Self.spec.balloon,
            vsock: Self.spec.vsock
        )
        #expect(DeviceInspection.configurationProblems(whole, spec: Self.spec) == [])
        let bare = VMConfiguration(drives: [], networkInterfaces: [], balloon: nil, vsock: nil)
        let problems = DeviceInspection.configurationProblems(bare, spec: Self.spec)
        #expect(problems.count == 4, "\(problems)")
        #expect(problems[0].contains("drives []") && problems[0].contains("drive0=drive0.img ro"))
        #expect(problems[1].contains("network interfaces []") && problems[1].contains("eth0=tap0"))
        #expect(problems[2].hasPrefix("the VMM's balloon is absent"))
        #expect(problems[3].hasPrefix("the VMM's vsock is absent"))
        #expect(DeviceInspection.applies(to: Self.spec))
        #expect(!DeviceInspection.applies(to: .builtInGuest(imagePath: "/guest.elf")))
    }

    @Test("GET /vm/config decodes Firecracker's own keys, dashes and all, and ignores the rest")
    func decoding() throws {
        let json = """
            {"balloon":{"amount_mib":0,"deflate_on_oom":true,"stats_polling_interval_s":1},
             "drives":[{"drive_id":"d0","partuuid":null,"is_root_device":false,"cache_type":"Unsafe","is_read_only":true,
                        "path_on_host":"d0.img","rate_limiter":null,"io_engine":"Sync","socket":null}],
             "machine-config":{"vcpu_count":1,"mem_size_mib":64},
             "network-interfaces":[{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":null}],
             "vsock":{"guest_cid":3,"uds_path":"v.sock"},"entropy":null}
            """
        let configuration = try APICoding.decoder().decode(VMConfiguration.self, from: Data(json.utf8))
        #expect(
            configuration.drives == [Drive(driveId: "d0", pathOnHost: "d0.img", isRootDevice: false, isReadOnly: true)]
        )
        #expect(configuration.networkInterfaces.map(\.hostDevName) == ["tap0"])
        #expect(configuration.balloon == Balloon(amountMib: 0, deflateOnOom: true, statsPollingIntervalS: 1))
        #expect(configuration.vsock == Vsock(guestCid: 3, udsPath: "v.sock"))
    }
}
