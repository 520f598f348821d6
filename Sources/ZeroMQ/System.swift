import CZeroMQ

/// Every libzmq call that reports failure with `-1` goes through here, so a signal never
/// surfaces as an error (`EINTR` is retried) and every failure carries errno and context.
@inline(__always)
func zmqCheck(
    _ operation: @autoclosure () -> String,
    retryOnInterrupt: Bool = true,
    _ call: () -> Int32
) throws(ZMQError) -> Int32 {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = zmq_errno()
        if retryOnInterrupt && code == EINTR { continue }
        throw ZMQError(code: ZMQError.Code(code), operation: operation())
    }
}
