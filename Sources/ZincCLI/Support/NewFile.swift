import Foundation
import Glibc

/// Writes `text` to a file that must not exist yet, with `mode` (0600 for anything secret):
/// a key or certificate is never overwritten by accident.
func writeNewFile(_ path: String, _ text: String, mode: mode_t) throws(CLIError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
    guard fd >= 0 else {
        let reason = errno == EEXIST ? "it exists; refusing to overwrite it" : String(cString: strerror(errno))
        throw CLIError("cannot create \(path): \(reason)")
    }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
}
