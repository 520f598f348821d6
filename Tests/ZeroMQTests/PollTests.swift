import Foundation
import Synchronization
import Testing
@testable import ZeroMQ

@Suite("Polling and wake-ups", .timeLimit(.minutes(1)))
struct PollTests {
    @Test("poll reports exactly the sockets that are readable")
    func pollSeveralSockets() throws {
        let context = try Context()
        let pulls = try (0..<4).map { _ in try Socket(.pull, context: context) }
        let pushes = try pulls.map { pull in
            let push = try Socket(.push, context: context)
            try push.connect(try pull.bindFresh(.inproc))
            return push
        }
        let poller = Poller()
        let tokens = pulls.map { poller.add($0) }
        #expect(try poller.poll(timeout: .zero) == 0)
        try pushes[1].send(bytes("one"))
        try pushes[3].send(bytes("three"))
        var ready: Set<Int> = []
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while ready.count < 2 && clock.now < deadline {
            try poller.poll(timeout: .seconds(1))
            for (index, token) in tokens.enumerated() where poller.isReadable(token) { ready.insert(index) }
        }
        #expect(ready == [1, 3])
        #expect(try pulls[1].receive(.dontWait) == bytes("one"))
        #expect(try pulls[3].receive(.dontWait) == bytes("three"))
        poller.remove(tokens[0])
        #expect(poller.count == 3)
        #expect(try poller.poll(timeout: .zero) == 0)
    }

    @Test("another thread's wake ends a poll that would otherwise wait forever")
    func wakeFromAnotherThread() throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        _ = try pull.bindFresh(.inproc)
        let waker = try Waker()
        let poller = Poller()
        let socketToken = poller.add(pull)
        let wakeToken = poller.add(waker)
        let woke = Atomic<Bool>(false)
        let thread = IOThread(name: "waker-test") {
            // The poller below waits with no timeout; only this wake can end it.
            woke.store(true, ordering: .releasing)
            waker.wake()
        }
        let ready = try poller.poll(timeout: nil)
        thread.join()
        #expect(ready == 1)
        let didWake = woke.load(ordering: .acquiring)
        #expect(didWake)
        #expect(poller.isReadable(wakeToken))
        #expect(!poller.isReadable(socketToken))
        waker.drain()
        #expect(try poller.poll(timeout: .zero) == 0)
        // Many wakes coalesce into one readiness.
        for _ in 0..<10 { waker.wake() }
        #expect(try poller.poll(timeout: .zero) == 1)
        waker.drain()
        #expect(try poller.poll(timeout: .zero) == 0)
    }

    @Test("a socket polls writable when it has a peer with room")
    func writable() throws {
        let context = try Context()
        let push = try Socket(.push, context: context)
        #expect(try push.poll(.writable, timeout: .milliseconds(20)).isEmpty)
        let pull = try Socket(.pull, context: context)
        try push.connect(try pull.bindFresh(.inproc))
        #expect(try push.poll(.writable, timeout: .seconds(5)).contains(.writable))
    }
}
