import Foundation
import Glibc
import Logging
import ServiceLifecycle
import UnixSignals
import Zinc

/// Runs one endpoint as a service: it serves until a graceful shutdown (SIGINT or SIGTERM),
/// then leaves the tree cleanly, telling its parent and children, before the process exits.
struct NodeService: Service {
    let endpoint: Endpoint
    let logger: Logger
    /// Exit when this process disappears (a `zinc cluster` that was killed), so no node outlives it.
    let watchedParent: Int32?
    /// Re-read the trusted authorities and the revocation list on SIGHUP (a certified node).
    let reloadsTrust: Bool

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Returns at SIGINT/SIGTERM (or when the group is cancelled).
                try? await gracefulShutdown()
            }
            if reloadsTrust {
                group.addTask { [endpoint, logger] in
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        do {
                            try await endpoint.reloadTrust()
                        } catch {
                            logger.error("SIGHUP: the old trust stays in force: \(error)")
                        }
                    }
                }
            }
            if let watchedParent {
                group.addTask {
                    while !Task.isCancelled, getppid() == watchedParent {
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        logger.info("leaving the tree")
        await endpoint.shutdown()
        // The goodbyes are queued in libzmq: let them leave before the process exits, or the
        // parent counts a failure where a leave was sent.
        if !Endpoint.finishSharedContext(within: .seconds(1)) {
            logger.warning("libzmq still had an open socket at exit: a goodbye may not have left")
        }
    }
}
