import Glibc

/// Finds free TCP ports on 127.0.0.1, so a demo cluster does not collide with what runs here.
package enum FreePorts {
    /// The first of `count` consecutive ports that are free now, searching from `start`.
    package static func range(count: Int, from start: Int = 20_000 + Int.random(in: 0..<20_000)) -> Int? {
        var base = start
        while base + count < 65_000 {
            if let taken = (0..<count).first(where: { !isFree(base + $0) }) {
                base += taken + 1
                continue
            }
            return base
        }
        return nil
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
