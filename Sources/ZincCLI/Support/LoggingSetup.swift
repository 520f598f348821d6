import Logging

enum LoggingSetup {
    /// Logs go to stderr (stdout is for a command's output), at `level` and above.
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
