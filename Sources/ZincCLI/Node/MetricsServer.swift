import Prometheus
import Synchronization
import ZeroMQ

/// Serves a Prometheus registry as text exposition at `http://HOST:PORT/metrics`, for
/// `zinc node --metrics`. HTTP/1.1 over a ZeroMQ STREAM socket (raw TCP) on a thread of its own:
/// one request per connection, answered and closed. Requests are bounded (8 KiB of headers, 64
/// connections open at once); anything else gets 400, 404, 405 or 431, never a hang.
final class MetricsServer: Sendable {
    static let maxRequestBytes = 8 << 10
    static let maxConnections = 64

    /// The `host:port` it listens on (the bound port when 0 was asked for).
    let address: String
    private let stopping = StopFlag()
    private let thread: Mutex<IOThread?>

    /// Binds `hostPort` (`HOST:PORT`) now, so a bad or busy address fails here.
    init(hostPort: String, registry: PrometheusCollectorRegistry, context: Context) throws(ZMQError) {
        let socket = try Socket(.stream, context: context)
        try socket.setOption(.linger, .zero)
        socket.maximumFrames = 2
        socket.maximumMessageBytes = Self.maxRequestBytes + 1024
        try socket.bind("tcp://\(hostPort)")
        let bound = try socket.lastEndpoint
        address = bound.hasPrefix("tcp://") ? String(bound.dropFirst(6)) : bound
        let owned = HandOver(socket)
        let stopping = self.stopping
        thread = Mutex(nil)
        let started = IOThread(name: "zinc-metrics") {
            Self.serve(owned.take(), registry: registry, stopping: stopping)
        }
        thread.withLock { $0 = started }
    }

    /// Stops serving and waits for the thread.
    func stop() {
        stopping.value.store(true, ordering: .relaxed)
        thread.withLock { thread in
            thread?.join()
            thread = nil
        }
    }

    private static func serve(_ socket: Socket, registry: PrometheusCollectorRegistry, stopping: StopFlag) {
        defer { socket.close() }
        // Partial requests by connection, oldest first.
        var pending: [(peer: [UInt8], bytes: [UInt8])] = []
        while !stopping.value.load(ordering: .relaxed) {
            guard let frames = try? socket.receiveMessage(timeout: .milliseconds(200)), frames.count == 2 else { continue }
            let (peer, data) = (frames[0], frames[1])
            // An empty frame: a peer connected or went away.
            guard !data.isEmpty else {
                pending.removeAll { $0.peer == peer }
                continue
            }
            var bytes = data
            if let index = pending.firstIndex(where: { $0.peer == peer }) { bytes = pending.remove(at: index).bytes + data }
            guard bytes.count <= maxRequestBytes else {
                respond(socket, to: peer, status: "431 Request Header Fields Too Large", body: Array("request too large\n".utf8))
                continue
            }
            guard let request = HTTPRequestHead(bytes) else {
                if pending.count >= maxConnections { pending.removeFirst() }
                pending.append((peer, bytes))
                continue
            }
            switch (request.method, request.path) {
            case (_, nil):
                respond(socket, to: peer, status: "400 Bad Request", body: Array("bad request\n".utf8))
            case ("GET", "/metrics"?), ("HEAD", "/metrics"?):
                let body = registry.emitToBuffer()
                respond(socket, to: peer, status: "200 OK", contentType: "text/plain; version=0.0.4; charset=utf-8", body: body, headOnly: request.method == "HEAD")
            case ("GET", _), ("HEAD", _):
                respond(socket, to: peer, status: "404 Not Found", body: Array("only /metrics is served\n".utf8))
            default:
                respond(socket, to: peer, status: "405 Method Not Allowed", body: Array("GET /metrics\n".utf8), extra: "Allow: GET, HEAD\r\n")
            }
        }
    }

    private static func respond(
        _ socket: Socket, to peer: [UInt8], status: String, contentType: String = "text/plain; charset=utf-8", body: [UInt8], headOnly: Bool = false, extra: String = ""
    ) {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\(extra)Connection: close\r\n\r\n"
        try? socket.send(message: [peer, Array(head.utf8) + (headOnly ? [] : body)], flags: .dontWait)
        // An empty message closes the connection.
        try? socket.send(message: [peer, []], flags: .dontWait)
    }
}

/// Set once to end a serving loop.
final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// The request line of an HTTP/1.x request whose head is complete (ends with an empty line).
struct HTTPRequestHead: Equatable {
    let method: String
    /// Nil when the request line is malformed.
    let path: String?

    /// Nil while the head is incomplete.
    init?(_ bytes: [UInt8]) {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == terminator }) else { return nil }
        let line = String(decoding: bytes[..<end].prefix { $0 != 13 }, as: UTF8.self)
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        method = parts.first.map(String.init) ?? ""
        if parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/") {
            path = String(parts[1].prefix { $0 != "?" })
        } else {
            path = nil
        }
    }
}
