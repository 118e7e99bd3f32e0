import NIOHTTP1

// MARK: - Typed endpoints of the v1.12 API

extension FirecrackerAPIClient {
    /// `GET /`: the process's id, state and version.
    package func instanceInfo() async throws -> InstanceInfo {
        let response = try checked(await send(.GET, "/"), request: "GET /")
        return try response.decode(InstanceInfo.self, request: "GET /")
    }

    /// `PUT /boot-source`.
    package func configure(_ bootSource: BootSource) async throws {
        try await send(.PUT, "/boot-source", json: bootSource)
    }

    /// `PUT /machine-config`.
    package func configure(_ machine: MachineConfiguration) async throws {
        try await send(.PUT, "/machine-config", json: machine)
    }

    /// `PUT /drives/{drive_id}`.
    package func configure(_ drive: Drive) async throws {
        try await send(.PUT, "/drives/\(drive.driveId)", json: drive)
    }

    /// `PUT /network-interfaces/{iface_id}`.
    package func configure(_ interface: NetworkInterface) async throws {
        try await send(.PUT, "/network-interfaces/\(interface.ifaceId)", json: interface)
    }

    /// `PUT /vsock`.
    package func configure(_ vsock: Vsock) async throws {
        try await send(.PUT, "/vsock", json: vsock)
    }

    /// `PUT /balloon`.
    package func configure(_ balloon: Balloon) async throws {
        try await send(.PUT, "/balloon", json: balloon)
    }

    /// `GET /vm/config`: the VM's devices as the VMM holds them (after a load, the snapshot's).
    package func vmConfiguration() async throws -> VMConfiguration {
        let response = try checked(await send(.GET, "/vm/config"), request: "GET /vm/config")
        return try response.decode(VMConfiguration.self, request: "GET /vm/config")
    }

    /// `PUT /logger`.
    package func configure(_ logger: LoggerConfiguration) async throws {
        try await send(.PUT, "/logger", json: logger)
    }

    /// `PUT /metrics` (accepted once per process).
    package func configure(_ metrics: MetricsConfiguration) async throws {
        try await send(.PUT, "/metrics", json: metrics)
    }

    /// `PUT /actions`.
    package func perform(_ action: InstanceAction, timeout: Duration? = nil) async throws {
        try await send(.PUT, "/actions", json: action, timeout: timeout)
    }

    /// `PATCH /vm`: pause or resume.
    package func setState(_ state: VMStateChange.State, timeout: Duration? = nil) async throws {
        try await send(.PATCH, "/vm", json: VMStateChange(state: state), timeout: timeout)
    }

    /// `PUT /snapshot/create` (the VM must be paused).
    package func createSnapshot(_ parameters: SnapshotCreateParameters, timeout: Duration? = nil) async throws {
        try await send(.PUT, "/snapshot/create", json: parameters, timeout: timeout)
    }

    /// `PUT /snapshot/load` (only on a fresh process; a failed load leaves the process dead).
    package func loadSnapshot(_ parameters: SnapshotLoadParameters, timeout: Duration? = nil) async throws {
        try await send(.PUT, "/snapshot/load", json: parameters, timeout: timeout)
    }
}
