import ZincProtocol

/// A host's access rules, trusting one fixed authority: every input goes through the lobby's
/// whole path (frame, certificate, policy).
nonisolated(unsafe) var rules: AccessGuard? = {
    guard let authority = CertificateAuthority(seed: [UInt8](repeating: 1, count: 32)),
          let own = try? authority.issue(nodeKey: [UInt8](repeating: 9, count: 32), role: .member, name: "host", documents: [.all], issued: 0, expires: nil)
    else { return nil }
    return AccessGuard(own: own, policy: TrustPolicy(authorities: [authority.publicKey]))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let frame = try? LobbyFrame(decoding: bytes) {
        precondition(frame.encoded == bytes, "a lobby frame does not re-encode to its bytes")
    }
    // Answering must refuse or admit, never trap; the table stays bounded.
    _ = rules?.lobby(bytes, now: 1_800_000_000)
    precondition((rules?.admittedKeys.count ?? 0) <= AccessGuard.maxAdmitted)
    return 0
}
