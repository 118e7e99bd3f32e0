// SnapshotPool: see Documentation.docc.
