import ArgumentParser
import Foundation
import Logging
import Zinc


import Glibc

@main
struct ZincPad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zinc-pad",
        abstract: "A collaborative terminal editor on Zinc.",
        discussion: """
        Several terminals edit one document in real time; each shows the others' cursors and
        names in colour. Every pad can host (it binds an ephemeral port unless --bind says
        otherwise), so when the host dies one pad is promoted and the rest carry on.

        Keys: arrows, Home/End, PgUp/PgDn, Ctrl-Home/Ctrl-End move; Backspace/Delete erase; Ctrl-Z undo;
        Ctrl-Y redo; Ctrl-Q quit (leaving the tree cleanly).

        Examples:
          zinc node --bind tcp://127.0.0.1:7000 &                # a host (or use --bind on a pad)
          zinc-pad --join tcp://127.0.0.1:7000 --name ada notes
          zinc-pad --join tcp://127.0.0.1:7000 --name bob notes
        """
    )

    @Argument(help: "The document to edit.") var document: String
    @Option(help: "The PUB address of a node to join (repeatable).") var join: [String] = []
    @Option(help: "Host here too (default: an ephemeral port on 127.0.0.1, so this pad can be promoted).") var bind = "tcp://127.0.0.1:*"
    @Option(help: "Your name, shown to the others.") var name = ProcessInfo.processInfo.environment["USER"] ?? "me"
    @Option(help: "Keep the document here (default: ~/.local/share/zinc-pad/NAME).") var dataDir: String?
    @Flag(help: "Keep nothing on disk.") var noPersist = false
    @Option(help: "A cluster key file (zinc keygen).") var key: String?
    @Option(help: "Serve the admin interface here (for scripts and tests).") var admin: String?

    func run() async throws {
        // Logs would scribble over the screen: warnings and errors go to a file.
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-pad-\(name).log").path
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if log >= 0 { dup2(log, STDERR_FILENO) }

        var configuration = EndpointConfiguration(id: ReplicaID(deterministicFrom: "zinc-pad/\(name)"))
        configuration.name = name
        configuration.bind = bind
        configuration.join = join
        configuration.admin = admin
        configuration.interest = .documents([document])
        if !noPersist {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.temporaryDirectory.path
            configuration.dataDirectory = dataDir ?? "\(home)/.local/share/zinc-pad/\(name)"
        }
        if let key {
            do { configuration.key = try ClusterKey(contentsOf: key) } catch { throw ValidationError("\(error)") }
        }
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(configuration)
        } catch {
            throw ValidationError("\(error)")
        }
        let handle = try await endpoint.document(document)
        let terminal = Terminal()
        do {
            let pad = try await Pad(endpoint: endpoint, handle: handle, name: name, terminal: terminal)
            try await pad.run()
        } catch {
            terminal.restore()
            await endpoint.shutdown()
            throw error
        }
        terminal.restore()
        await endpoint.shutdown()
    }
}
