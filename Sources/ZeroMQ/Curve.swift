import CZeroMQ

/// A 32-byte CurveZMQ key (public or secret), convertible to and from its 40-character Z85 text.
public struct CurveKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// A key from 32 raw bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A key from its 40-character Z85 text; `nil` if the text is not valid Z85 of 32 bytes.
    public init?(z85: String) {
        guard let bytes = Z85.decode(z85), bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The key as 40 characters of Z85.
    public var z85: String { Z85.encode(bytes) ?? "" }

    /// Z85 text, so logging a public key is readable. Never log secret keys.
    public var description: String { z85 }
}

/// A CurveZMQ key pair.
public struct CurveKeyPair: Hashable, Sendable {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    public init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair (`zmq_curve_keypair`). Fails if libzmq was built without CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        _ = try zmqCheck("zmq_curve_keypair") { zmq_curve_keypair(&publicText, &secretText) }
        guard let publicKey = CurveKey(z85: cString(publicText)),
              let secretKey = CurveKey(z85: cString(secretText))
        else { throw ZMQError(code: .invalidArgument, operation: "zmq_curve_keypair", message: "libzmq returned a malformed key") }
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The pair whose secret key is `secretKey` (`zmq_curve_public`).
    public init(secretKey: CurveKey) throws(ZMQError) {
        var publicText = [CChar](repeating: 0, count: 41)
        let secretText = secretKey.z85
        _ = try zmqCheck("zmq_curve_public") { zmq_curve_public(&publicText, secretText) }
        guard let publicKey = CurveKey(z85: cString(publicText)) else {
            throw ZMQError(code: .invalidArgument, operation: "zmq_curve_public", message: "libzmq returned a malformed key")
        }
        self.init(publicKey: publicKey, secretKey: secretKey)
    }
}

/// Z85, ZeroMQ's printable encoding (RFC 32/Z85): 4 bytes become 5 characters.
public enum Z85 {
    /// Encodes `bytes`, whose count must be a multiple of 4; `nil` otherwise.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        let ok = bytes.withUnsafeBufferPointer { source in
            zmq_z85_encode(&text, source.baseAddress, source.count) != nil
        }
        return ok ? cString(text) : nil
    }

    /// Decodes Z85 text, whose length must be a multiple of 5 and whose characters must all be
    /// in the Z85 alphabet; `nil` otherwise.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 5 == 0, utf8.allSatisfy(isZ85Character) else { return nil }
        var bytes = [UInt8](repeating: 0, count: utf8.count * 4 / 5)
        let ok = text.withCString { zmq_z85_decode(&bytes, $0) != nil }
        return ok ? bytes : nil
    }

    private static let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    private static func isZ85Character(_ byte: UInt8) -> Bool { alphabet.contains(byte) }
}

extension Socket {
    /// Makes this socket a CURVE server with `secretKey`. Clients must know the matching public
    /// key; a ZAP handler in the same context (``Authenticator``) decides which clients get in.
    /// Set this before ``bind(_:)``.
    public func makeCurveServer(secretKey: CurveKey) throws(ZMQError) {
        try setOption(.curveServer, true)
        try setOption(.curveSecretKey, secretKey.bytes)
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`,
    /// authenticating with `keyPair`. Set this before ``connect(_:)``.
    public func makeCurveClient(serverKey: CurveKey, keyPair: CurveKeyPair) throws(ZMQError) {
        try setOption(.curveServerKey, serverKey.bytes)
        try setOption(.curvePublicKey, keyPair.publicKey.bytes)
        try setOption(.curveSecretKey, keyPair.secretKey.bytes)
    }
}

/// The text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
