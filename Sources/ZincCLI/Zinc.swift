import ArgumentParser

@main
struct ZincCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zinc",
        abstract: "Real-time collaborative document sync over ZeroMQ.",
        discussion: """
        Run nodes that form a host/client tree, spin up local clusters, and inspect, tap and
        drive them. Every command has its own --help with examples.
        """,
        version: ZincVersion.string,
        subcommands: [
            NodeCommand.self, ClusterCommand.self, DiscoverCommand.self, StatusCommand.self, DocCommand.self, HistoryCommand.self, TrimCommand.self, EditCommand.self, TapCommand.self,
            KeygenCommand.self, AuthorityCommand.self, CertCommand.self, SimulateCommand.self, BenchCommand.self, VersionCommand.self, CorpusCommand.self,
        ]
    )
}

enum ZincVersion {
    static let string = "0.3.0"
}
