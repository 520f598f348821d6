#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a discovery broadcast goes: the loopback segment (every node of this machine) and,
/// unless the node is reachable on loopback only, the broadcast address of every IPv4
/// interface that is up. Read afresh for each broadcast: interfaces come and go.
package enum BroadcastTargets {
    static let loopback = "127.255.255.255"

    /// The broadcast addresses to use; `loopbackOnly` for a node bound to 127.0.0.1 (nobody
    /// elsewhere could reach it).
    package static func addresses(loopbackOnly: Bool) -> [String] {
        var addresses = [loopback]
        guard !loopbackOnly else { return addresses }
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return addresses }
        defer { freeifaddrs(first) }
        var cursor = first
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            let flags = Int32(bitPattern: entry.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, flags & Int32(IFF_BROADCAST) != 0, flags & Int32(IFF_LOOPBACK) == 0,
                  let address = entry.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  let broadcast = entry.ifa_ifu.ifu_broadaddr
            else { continue }
            let text = broadcast.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { DatagramSocket.dottedQuad($0.pointee.sin_addr) }
            if !addresses.contains(text) { addresses.append(text) }
        }
        return addresses
    }

    /// True if a node bound at `address` is reachable from this machine only (a loopback host,
    /// or ipc/inproc).
    package static func isLoopbackOnly(_ address: String) -> Bool {
        TCPHost.of(address).map(TCPHost.isLoopback) ?? true
    }
}
