import CZeroMQ

/// The libzmq library Zinc is running against.
public enum LibZMQ {
    /// The runtime version of libzmq (`zmq_version`), e.g. `(4, 3, 4)`.
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// `"4.3.4"`.
    public static var versionString: String {
        let v = version
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Whether libzmq was built with a capability: `"curve"`, `"ipc"`, `"pgm"`, `"tipc"`,
    /// `"norm"`, `"gssapi"`, `"draft"` (`zmq_has`).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }

    /// Every capability libzmq knows of, with whether this build has it.
    public static var capabilities: [(name: String, available: Bool)] {
        ["ipc", "pgm", "tipc", "vmci", "norm", "curve", "gssapi", "draft"].map { ($0, has($0)) }
    }
}
