/// The admin address a user typed: a full ZeroMQ address, or just a port on 127.0.0.1.
enum AdminAddress {
    static func resolve(_ text: String) throws -> String {
        if text.contains("://") { return text }
        if let port = Int(text), port > 0, port < 65536 { return "tcp://127.0.0.1:\(port)" }
        throw CLIError("\(text) is not an admin address: use tcp://127.0.0.1:PORT, ipc://PATH, or a port number")
    }
}
