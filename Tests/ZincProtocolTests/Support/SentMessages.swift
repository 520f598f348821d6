@testable import ZincProtocol

extension Array where Element == CoreDirective {
    /// The messages these directives publish or push, in order.
    var sentMessages: [WireMessage] {
        compactMap {
            switch $0.shellDirective {
            case .publish(let message), .push(let message): message
            default: nil
            }
        }
    }
}
