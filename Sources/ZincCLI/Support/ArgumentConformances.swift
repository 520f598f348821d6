public import ArgumentParser
public import Logging
public import Zinc

extension Logger.Level: @retroactive ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension Durability: ExpressibleByArgument {}
extension HistoryTrimming: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension FailureDetection: ExpressibleByArgument {}
