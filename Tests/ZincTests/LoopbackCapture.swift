import Foundation
import Glibc
import Synchronization

/// Captures every packet on the loopback interface (an AF_PACKET socket; needs CAP_NET_RAW)
/// on a thread of its own, for checking what crosses the wire.
final class LoopbackCapture: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    private let running = Atomic<Bool>(true)
    private let descriptor: Int32

    /// True where raw sockets are allowed (a capture can be made).
    static var available: Bool {
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(UInt16(0x0003).bigEndian))
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Nil where raw sockets are not allowed.
    init?() {
        // ETH_P_ALL and struct sockaddr_ll are not imported into Swift: spell them out.
        let allProtocols: UInt16 = 0x0003
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(allProtocols.bigEndian))
        guard fd >= 0 else { return nil }
        // struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8,
        // halen u8, addr[8] — 20 bytes.
        var address = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { address.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: allProtocols.bigEndian) { address.replaceSubrange(2..<4, with: $0) }
        withUnsafeBytes(of: Int32(if_nametoindex("lo"))) { address.replaceSubrange(4..<8, with: $0) }
        let bound = address.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard bound == 0 else {
            close(fd)
            return nil
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        descriptor = fd
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while running.load(ordering: .relaxed) {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 { bytes.withLock { $0.append(contentsOf: buffer[0..<count]) } }
            }
        }
        thread.start()
    }

    /// Stops capturing and returns everything captured.
    func finish() -> [UInt8] {
        running.store(false, ordering: .relaxed)
        usleep(200_000)
        close(descriptor)
        return bytes.withLock { $0 }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
