import Foundation
import Synchronization
import Testing
@testable import ZeroMQ

@Suite("Shutdown", .timeLimit(.minutes(1)))
struct ShutdownTests {
    @Test("shutting a context down under load ends blocked threads with ETERM and never hangs")
    func shutdownUnderLoad() throws {
        let context = try Context()
        let address = "inproc://shutdown-under-load"
        let bound = try Socket(.pull, context: context)
        try bound.bind(address)
        let sent = Atomic<Int>(0)
        let received = Atomic<Int>(0)
        let senderError = Mutex<ZMQError?>(nil)
        let receiverError = Mutex<ZMQError?>(nil)
        let receiver = HandOver(bound)
        let receiving = IOThread(name: "receiver") {
            let pull = receiver.take()
            defer { pull.close() }
            while true {
                do throws(ZMQError) {
                    _ = try pull.receive()
                    received.add(1, ordering: .relaxed)
                } catch {
                    receiverError.withLock { $0 = error }
                    return
                }
            }
        }
        let sending = IOThread(name: "sender") {
            do throws(ZMQError) {
                let push = try Socket(.push, context: context)
                defer { push.close() }
                try push.setOption(.sendHighWaterMark, 100)
                try push.connect(address)
                let payload = [UInt8](repeating: 42, count: 1024)
                while true {
                    try push.send(payload)
                    sent.add(1, ordering: .relaxed)
                }
            } catch {
                senderError.withLock { $0 = error }
            }
        }
        // Let traffic flow, then pull the plug while both threads are mid-operation.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while received.load(ordering: .relaxed) < 10_000 && clock.now < deadline {
            usleep(1000) // polling a counter, not synchronising: the deadline bounds it
        }
        context.shutdown()
        receiving.join()
        sending.join()
        #expect(received.load(ordering: .relaxed) >= 10_000)
        #expect(sent.load(ordering: .relaxed) >= received.load(ordering: .relaxed))
        #expect(receiverError.withLock { $0?.isTerminated } == true)
        #expect(senderError.withLock { $0?.isTerminated } == true)
        #expect(context.isShutDown)
    }

    @Test("a context with unsent messages to an absent peer terminates within its linger")
    func lingerIsBounded() throws {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let context = try Context()
            let push = try Socket(.push, context: context)
            try push.connect("tcp://127.0.0.1:9") // discard port: nobody listens
            try? push.send(bytes("stranded"), flags: .dontWait)
        } // socket then context deinit: zmq_close, zmq_ctx_term
        #expect(clock.now - start < .seconds(3))
    }

    @Test("terminating waits for what closed sockets queued to leave, and gives up at its timeout while a socket is open")
    func terminateFlushes() throws {
        let receiving = try Context()
        let pull = try Socket(.pull, context: receiving)
        let address = try pull.bindFresh(.tcp)
        let sending = try Context()
        let push = try Socket(.push, context: sending)
        try push.setOption(.linger, .seconds(5))
        try push.connect(address)
        for index in 0..<1000 { try push.send([UInt8(index % 256)] + [UInt8](repeating: 7, count: 1023)) }
        push.close()
        let straggler = try Socket(.pull, context: sending)
        #expect(!sending.terminate(waitingAtMost: .milliseconds(100)), "a socket is still open")
        straggler.close()
        #expect(sending.terminate(waitingAtMost: .seconds(5)))
        #expect(sending.terminate(waitingAtMost: .zero), "terminated stays terminated")
        #expect(throws: ZMQError.self) { try Socket(.push, context: sending) }
        try pull.setOption(.receiveTimeout, .seconds(5))
        for index in 0..<1000 { #expect(try pull.receive().first == UInt8(index % 256)) }
    }
}
