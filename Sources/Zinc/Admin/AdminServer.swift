import Foundation
import ZeroMQ
import ZincCore
import ZincProtocol

/// The admin socket's request handling, on the endpoint's I/O thread (the socket is polled
/// with the others, so a request sees a consistent state and an edit is applied before the
/// reply leaves).
///
/// The socket is a ROUTER: each request is `[client identity, empty, JSON]`, as a REQ socket
/// sends it, and the reply goes back the same way. A ROUTER never enters REP's lock-step error
/// states, so a client that vanishes mid-request cannot wedge the admin interface.
extension ChannelListener {
    /// The largest admin request accepted (64 KiB): admin JSON is small; anything bigger is
    /// answered with an error, unread.
    static let maxAdminRequest = 64 << 10
    /// The largest message the admin socket takes in at all: a bigger one closes the client's
    /// connection (libzmq's limit), so a request between the two still gets its error reply.
    static let maxAdminMessage = 16 << 20

    func readAdmin(_ socket: Socket) {
        for _ in 0..<64 {
            let frames: [[UInt8]]
            var peer: Socket.Peer?
            do {
                frames = try socket.receiveMessage(.dontWait, peer: &peer)
            } catch {
                if error.isWouldBlock { return }
                reject("admin request: \(error)", from: nil)
                continue
            }
            // [identity, empty delimiter, body]: anything else cannot be answered.
            guard frames.count == 3, frames[1].isEmpty else {
                reject("admin request with \(frames.count) frames", from: nil)
                continue
            }
            let reply: AdminReply
            if frames[2].count > Self.maxAdminRequest {
                reject("admin request of \(frames[2].count) bytes", from: nil)
                reply = .failure("request of \(frames[2].count) bytes exceeds the admin limit of \(Self.maxAdminRequest) bytes")
            } else if let certified {
                // Certified: the client's own certificate decides what it may ask.
                let client = certified.key(of: peer).flatMap(certified.rules.certificate(of:))
                reply = client.map { answer(frames[2], client: $0) } ?? .failure("this admin client has no admitted certificate")
            } else {
                reply = answer(frames[2], client: nil)
            }
            let body = (try? JSONEncoder.admin.encode(reply)).map { Array($0) } ?? Array(#"{"ok":false,"error":"reply encoding failed"}"#.utf8)
            try? socket.send(message: [frames[0], [], body], flags: .dontWait)
        }
    }

    private func answer(_ body: [UInt8], client: NodeCertificate?) -> AdminReply {
        let request: AdminRequest
        do {
            request = try JSONDecoder().decode(AdminRequest.self, from: Data(body))
        } catch {
            counters.badMessages += 1
            return .failure("malformed admin request: \(Self.describe(error))")
        }
        if let refusal = Self.refusal(of: request, client: client, own: certified?.identity) { return .failure(refusal) }
        switch request.command {
        case "status":
            let status = EndpointStatus(self)
            return AdminReply(ok: true, status: client.map(status.visible(to:)) ?? status)
        case "doc":
            guard let id = request.doc else { return .failure("doc: the request names no document") }
            do {
                guard let content = try documentContent(id, at: request.at) else { return .failure("this node holds no document \"\(id)\"") }
                return AdminReply(ok: true, document: content)
            } catch {
                return .failure("\(error)")
            }
        case "trim":
            guard let id = request.doc else { return .failure("trim: the request names no document") }
            guard machine.documents[id] != nil else { return .failure("this node holds no document \"\(id)\"") }
            guard machine.settings.trimming != .never else { return .failure("history trimming is off on this node (--history-trimming never)") }
            let trimmed = machine.trim(id, now: now)
            saveChangedDocuments()
            guard let content = try? documentContent(id, at: nil) else { return .failure("the document vanished") }
            return AdminReply(ok: true, document: content, trimmed: trimmed)
        case "history":
            guard let id = request.doc else { return .failure("history: the request names no document") }
            guard let document = machine.documents[id]?.document else { return .failure("this node holds no document \"\(id)\"") }
            return AdminReply(ok: true, history: document.history().map(HistoryLine.init))
        case "edit":
            return adminEdit(request)
        default:
            return .failure("unknown command \"\(request.command)\" (status, doc, history, trim or edit)")
        }
    }

    /// Why a certified node refuses an admin request: a reader's client may not edit or
    /// trim, and nobody may ask for a document their certificate (or this node's) does not cover.
    static func refusal(of request: AdminRequest, client: NodeCertificate?, own: NodeIdentity?) -> String? {
        guard let own else { return nil }
        if let id = request.doc {
            if !own.covers(id) { return "\(own.name)'s certificate does not cover the document \(id)" }
            if let client, !client.covers(id) { return "\(client.name)'s certificate does not cover the document \(id)" }
        }
        if let client, client.role == .reader, ["edit", "trim"].contains(request.command) {
            return "\(client.name) is certified as a reader: it may not \(request.command)"
        }
        return nil
    }

    private func documentContent(_ id: String, at version: VersionVector?) throws(DocumentError) -> DocumentContent? {
        guard let current = machine.documents[id]?.document else { return nil }
        let document = try version.map { (version) throws(DocumentError) in try current.at(version) } ?? current
        let root = MapRef("")
        var map: [String: JSONValue] = [:]
        for key in document.keys(in: root) {
            if case .value(let value) = document.value(forKey: key, in: root) { map[key] = JSONValue(value) }
        }
        return DocumentContent(
            id: id, text: document.text(), length: document.length(),
            sha256: SHA256.hex(Array(document.canonicalContent().utf8)),
            operations: document.versionVector.totalOperations,
            versionVector: document.versionVector.stringKeyed, map: map,
            historyFloor: document.historyFloor.isEmpty ? nil : document.historyFloor.stringKeyed)
    }

    private func adminEdit(_ request: AdminRequest) -> AdminReply {
        guard let id = request.doc else { return .failure("edit: the request names no document") }
        guard Topic.isValidName(id) else { return .failure(EndpointError.invalidName("document ID", id).description) }
        let edit: @Sendable (inout Document) throws -> Void
        switch request.action {
        case "insert":
            guard let position = request.position, let text = request.text else { return .failure("insert needs position and text") }
            edit = { document in
                guard position >= 0, position <= document.length() else {
                    throw AdminError("position \(position) is outside the text (length \(document.length()))")
                }
                try document.insert(text, at: position)
            }
        case "delete":
            guard let position = request.position, let length = request.length else { return .failure("delete needs position and length") }
            edit = { document in
                guard position >= 0, length >= 0, position <= document.length() - length else {
                    throw AdminError("cannot delete \(length) at \(position): the text has length \(document.length())")
                }
                try document.delete(position..<position + length)
            }
        case "set":
            guard let key = request.key, let value = request.value else { return .failure("set needs key and value") }
            edit = { document in try document.set(key, to: value.value, in: MapRef("")) }
        default:
            return .failure("unknown edit action \"\(request.action ?? "")\" (insert, delete or set)")
        }
        execute(machine.open(id, now: now))
        do {
            let before = machine.documents[id]?.document.versionVector.totalOperations ?? 0
            let (_, directives) = try machine.edit(id, now: now, edit)
            commitLocal(id, directives)
            publishChanges(origin: .local)
            guard let document = machine.documents[id]?.document else { return .failure("the document vanished") }
            return AdminReply(ok: true, edit: EditResult(
                operations: document.versionVector.totalOperations - before, length: document.length(),
                versionVector: document.versionVector.stringKeyed, replica: document.replica.description))
        } catch {
            return .failure("\(error)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case Swift.DecodingError.dataCorrupted(let context): context.debugDescription
        case Swift.DecodingError.keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case Swift.DecodingError.typeMismatch(_, let context), Swift.DecodingError.valueNotFound(_, let context):
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "\(error)"
        }
    }
}

struct AdminError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONEncoder {
    static var admin: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

