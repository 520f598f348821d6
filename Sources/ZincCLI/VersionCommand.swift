import ArgumentParser
import Foundation
import ZeroMQ

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print Zinc's version, the libzmq it runs on and that library's capabilities.",
        discussion: """
        Examples:
          zinc version
          zinc version --json
        """
    )

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let capabilities = LibZMQ.capabilities
        if json {
            let object: [String: Any] = [
                "zinc": ZincVersion.string,
                "libzmq": LibZMQ.versionString,
                "capabilities": Dictionary(uniqueKeysWithValues: capabilities.map { ($0.name, $0.available) }),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("zinc \(ZincVersion.string)")
        print("libzmq \(LibZMQ.versionString)")
        for capability in capabilities {
            print("  \(capability.name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(capability.available ? "yes" : "no")")
        }
    }
}
