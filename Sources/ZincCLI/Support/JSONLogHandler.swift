import Foundation
import Logging
import Synchronization
import ZincCore

/// A swift-log handler that writes one JSON object per line to standard error, for log
/// shippers: `{"label":…,"level":…,"message":…,"metadata":{…},"source":…,"time":…}` (keys sorted),
/// metadata values as strings (nested lists and dictionaries as JSON arrays and objects).
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let label: String
    private let write: @Sendable (String) -> Void

    init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var fields: [String: Value] = [
            "time": .string(Self.timestamp(Date())), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description), "source": .string(event.source),
        ]
        if !merged.isEmpty { fields["metadata"] = Self.value(.dictionary(merged)) }
        write(Value.object(fields).json + "\n")
    }

    /// ISO 8601 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Metadata as a JSON value: strings stay strings, lists and dictionaries nest.
    static func value(_ value: Logger.Metadata.Value) -> Value {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(Self.value))
        case .dictionary(let dictionary): .object(dictionary.mapValues(Self.value))
        }
    }

    private static let lock = Mutex(())

    /// Whole lines, one writer at a time, so lines from several threads never interleave.
    @Sendable static func standardError(_ line: String) {
        lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }
}

/// How the CLI writes its logs.
enum LogFormat: String, CaseIterable, Sendable {
    /// swift-log's line format, for people.
    case text
    /// One JSON object per line, for log shippers.
    case json
}
