import Foundation
import Zinc

/// Admin requests as JSON: decoding arbitrary bytes never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size <= 64 << 10 else { return 0 }
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let request = try? JSONDecoder().decode(AdminRequest.self, from: bytes) {
        _ = request.value?.value
        _ = try? JSONEncoder().encode(request)
    }
    return 0
}
