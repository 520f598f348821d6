#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import ZincProtocol

/// A non-blocking IPv4 UDP socket, for discovery's announcements and surveys. Like the
/// endpoint's ZeroMQ sockets it belongs to one thread (the I/O thread, or `zinc discover`).
package final class DatagramSocket {
    /// A socket call that failed, with the system's reason.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package let fileDescriptor: Int32
    /// Datagrams read from the socket are cut at this size: anything longer is oversized
    /// anyway, and the decoder drops it as such.
    static let readSize = 2048

    /// Opens a socket that may broadcast. With `port`, it binds `0.0.0.0:port` shared with the
    /// other nodes of this machine (every one of them hears a broadcast); without, any port.
    package init(port: UInt16?) throws(Failure) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "cannot open a UDP socket: \(Self.lastError)") }
        fileDescriptor = descriptor
        var on: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        guard setsockopt(descriptor, SOL_SOCKET, SO_BROADCAST, &on, size) == 0,
              setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, size) == 0,
              fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0
        else {
            let reason = Self.lastError
            close(descriptor)
            throw Failure(description: "cannot set up the UDP socket: \(reason)")
        }
        var address = Self.address(host: INADDR_ANY, port: port ?? 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let reason = Self.lastError
            close(descriptor)
            throw Failure(description: "cannot bind UDP port \(port ?? 0): \(reason)")
        }
    }

    deinit { close(fileDescriptor) }

    /// The port the socket is bound to.
    package var port: UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fileDescriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Sends one datagram; false if the system refused it (UDP promises nothing more).
    @discardableResult
    package func send(_ bytes: [UInt8], to destination: DatagramSource) -> Bool {
        var raw = in_addr()
        guard inet_pton(AF_INET, destination.host, &raw) == 1 else { return false }
        var address = Self.address(host: raw.s_addr, port: destination.port, hostIsNetworkOrder: true)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return sent == bytes.count
    }

    /// The next datagram waiting, or nil if none is.
    package func receive() -> (bytes: [UInt8], source: DatagramSource)? {
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fileDescriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &length)
                }
            }
        }
        guard count >= 0 else { return nil }
        buffer.removeLast(buffer.count - count)
        return (buffer, DatagramSource(host: Self.dottedQuad(address.sin_addr), port: UInt16(bigEndian: address.sin_port)))
    }

    /// Waits up to `timeout` for a datagram to arrive; true if one has.
    package func wait(timeout: Duration) -> Bool {
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(min(Double(Int32.max), max(0, timeout / .milliseconds(1)).rounded(.up)))
        return poll(&descriptor, 1, milliseconds) > 0
    }

    private static func address(host: in_addr_t, port: UInt16, hostIsNetworkOrder: Bool = false) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: hostIsNetworkOrder ? host : host.bigEndian)
        return address
    }

    static func dottedQuad(_ address: in_addr) -> String {
        var copy = address
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &copy, &text, socklen_t(text.count)) != nil else { return "0.0.0.0" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static var lastError: String { String(cString: strerror(errno)) }
}
