import Foundation
import Glibc
import Testing
import Zinc

/// Several "hosts" (network namespaces) on one virtual LAN: a bridge in a namespace of its own,
/// each host attached by a veth pair with an address in 10.232.0.0/24 and that subnet's
/// broadcast address. Hosts can be cut off, cut one way, healed, or killed whole. Everything is
/// private to namespaces this test creates and removes; nothing leaves the machine.
final class NamespaceBridge: @unchecked Sendable {
    // @unchecked: used by one test task.
    let suffix = String(UUID().uuidString.prefix(6)).lowercased()
    let count: Int
    var bridge: String { "zinc-br-\(suffix)" }
    func host(_ index: Int) -> String { "zinc-h\(index)-\(suffix)" }
    func address(_ index: Int) -> String { "10.232.0.\(index + 1)" }
    private func hostSide(_ index: Int) -> String { "zh\(index)\(suffix)" }
    private func bridgeSide(_ index: Int) -> String { "zp\(index)\(suffix)" }
    private(set) var ready = false
    private(set) var problem = ""
    private var removed: Set<Int> = []

    init(hosts: Int) {
        count = hosts
        var steps: [[String]] = [
            ["netns", "add", bridge], ["-n", bridge, "link", "add", "br0", "type", "bridge"],
            ["-n", bridge, "link", "set", "br0", "up"], ["-n", bridge, "link", "set", "lo", "up"],
        ]
        for index in 0..<hosts {
            steps += [
                ["netns", "add", host(index)],
                ["link", "add", hostSide(index), "type", "veth", "peer", "name", bridgeSide(index)],
                ["link", "set", hostSide(index), "netns", host(index)], ["link", "set", bridgeSide(index), "netns", bridge],
                ["-n", bridge, "link", "set", bridgeSide(index), "master", "br0"], ["-n", bridge, "link", "set", bridgeSide(index), "up"],
                ["-n", host(index), "addr", "add", "\(address(index))/24", "brd", "+", "dev", hostSide(index)],
                ["-n", host(index), "link", "set", hostSide(index), "up"], ["-n", host(index), "link", "set", "lo", "up"],
            ]
        }
        if let failed = runIP(steps) {
            problem = failed
            return
        }
        ready = system("/usr/sbin/nft", ["--version"]).status == 0
        if !ready { problem = "nft is not installed" }
    }

    deinit {
        for index in 0..<count where !removed.contains(index) { system("/usr/sbin/ip", ["netns", "del", host(index)]) }
        system("/usr/sbin/ip", ["netns", "del", bridge])
    }

    /// Runs a command inside host `index`.
    func prefix(_ index: Int) -> [String] { ["/usr/sbin/ip", "netns", "exec", host(index)] }

    /// True where a bridge can be made: checked once, by making one.
    static let available: Bool = NamespaceBridge(hosts: 1).ready

    /// Installs an nftables table named `name` in host `index`.
    private func install(_ name: String, in index: Int, input: String, output: String) -> Bool {
        let rules = """
        table inet \(name) {
          chain input { type filter hook input priority 0; policy accept; \(input) }
          chain output { type filter hook output priority 0; policy accept; \(output) }
        }
        """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-\(name)-\(suffix)-\(index).nft").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(rules.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return system("/usr/sbin/ip", ["netns", "exec", host(index), "/usr/sbin/nft", "-f", path]).status == 0
    }

    /// Host `index` loses the LAN, both ways: connections stay open and go silent (a pulled
    /// cable). Its own nodes still reach each other over loopback.
    func cutOff(_ index: Int) -> Bool {
        install("zinccut", in: index, input: "iifname \"\(hostSide(index))\" drop;", output: "oifname \"\(hostSide(index))\" drop;")
    }

    /// Packets from host `from` to host `to` are dropped; the other way they pass (so TCP
    /// between the two is broken both ways, while broadcasts still reach each from the other).
    func cutOneWay(from: Int, to: Int) -> Bool {
        install("zinconeway", in: from, input: "", output: "ip daddr \(address(to)) drop;")
    }

    func heal(_ index: Int) -> Bool {
        system("/usr/sbin/ip", ["netns", "exec", host(index), "/usr/sbin/nft", "flush", "ruleset"]).status == 0
    }

    /// Host `index` dies whole: its link goes dark first (no FIN or RST reaches anyone, as when
    /// a machine loses power), then its processes are killed and its namespace removed.
    func kill(_ index: Int, processes: [ZincProcess]) {
        system("/usr/sbin/ip", ["-n", bridge, "link", "set", bridgeSide(index), "down"])
        for process in processes { process.signal(SIGKILL) }
        for process in processes { process.process.waitUntilExit() }
        system("/usr/sbin/ip", ["netns", "del", host(index)])
        removed.insert(index)
    }
}

/// Runs `ip` with each argument list in turn; the first failure, described, or nil.
func runIP(_ steps: [[String]]) -> String? {
    for step in steps {
        let result = system("/usr/sbin/ip", step)
        guard result.status == 0 else {
            return "ip \(step.joined(separator: " ")): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
    return nil
}
