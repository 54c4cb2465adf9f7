import CTetherSystem
import Dispatch
import Foundation
import Glibc
import Synchronization
import TetherLocking

/// Resolves host names with `getaddrinfo` on dedicated threads, never on the cooperative pool.
///
/// The caller waits in the event loop, so its deadline and cancellation end the wait at once;
/// a lookup already running in `getaddrinfo` cannot be interrupted and finishes on its resolver
/// thread, where its answer is dropped. Threads start when lookups wait and none is idle, up to
/// ``maximumThreads``, so one slow lookup does not hold up the others.
final class Resolver: Sendable {
    static let shared = Resolver()
    /// The most lookups that run at once; more wait for a thread.
    static let maximumThreads = 4

    typealias LookUp = @Sendable (_ host: String, _ port: Int) -> Result<[SocketAddress], NetworkError>

    private struct Job: Sendable {
        let host: String
        let port: Int
        let answer: Answer
        let waiter: WaiterID
    }

    /// Lookups waiting for a thread, and the threads that serve them.
    private struct Queue {
        var jobs: [Job] = []
        var threads = 0
        var idle = 0
    }

    /// Where the resolver thread leaves the result for the waiting caller.
    private final class Answer: Sendable {
        let result = Locked<Result<[SocketAddress], NetworkError>?>(nil)
    }

    private let queue = Locked(Queue())
    private let jobsQueued = DispatchSemaphore(value: 0)
    private let lookUp: LookUp
    private let idleTimeout: DispatchTimeInterval
    private let threadName: String

    /// A resolver that answers with `lookUp` (the system's `getaddrinfo` unless a test says
    /// otherwise) on threads called `threadName`; a thread with no lookup for `idleTimeout` ends.
    init(
        idleTimeout: Duration = .seconds(30), threadName: String = "tether-net-dns",
        lookUp: @escaping LookUp = Resolver.systemLookUp
    ) {
        self.lookUp = lookUp
        self.threadName = threadName
        let (seconds, attoseconds) = idleTimeout.components
        self.idleTimeout = .milliseconds(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// The addresses of `host` (an IP literal is parsed without a lookup), in `getaddrinfo`'s order.
    ///
    /// - Throws: ``NetworkError`` (`.resolutionFailed`, `.timedOut` in phase `.resolve`), or
    ///   `CancellationError`.
    func resolve(_ host: String, port: Int, deadline: ContinuousClock.Instant) async throws -> [SocketAddress] {
        if let literal = SocketAddress(literal: host, port: port) {
            return [literal]
        }
        let answer = Answer()
        let wake = await EventLoop.shared.wait(deadline: deadline) { waiter in
            enqueue(Job(host: host, port: port, answer: answer, waiter: waiter))
        }
        switch wake {
        case .ready:
            guard let result = answer.result.withLock({ $0 }) else {
                preconditionFailure("Resolver: woken as ready without an answer for \(host)")
            }
            return try result.get()
        case .timedOut:
            throw NetworkError.timedOut(.resolve)
        case .cancelled, .closed:
            throw CancellationError()
        }
    }

    /// Queues `job` and starts a thread when more jobs wait than threads are idle.
    private func enqueue(_ job: Job) {
        let startThread = queue.withLock { queue in
            queue.jobs.append(job)
            guard queue.jobs.count > queue.idle, queue.threads < Self.maximumThreads else { return false }
            queue.threads += 1
            return true
        }
        if startThread {
            Thread { [self] in
                ctether_set_thread_name(threadName)
                serve()
            }.start()
        }
        jobsQueued.signal()
    }

    /// Answers jobs until none came for `idleTimeout`.
    private func serve() {
        while true {
            queue.withLock { $0.idle += 1 }
            let woken = jobsQueued.wait(timeout: .now() + idleTimeout) == .success
            let job = queue.withLock { queue -> Job? in
                queue.idle -= 1
                if !queue.jobs.isEmpty { return queue.jobs.removeFirst() }
                // Decided under the lock: a job queued after this starts a thread of its own.
                if !woken { queue.threads -= 1 }
                return nil
            }
            guard let job else {
                if woken { continue } else { return }
            }
            let result = lookUp(job.host, job.port)
            job.answer.result.withLock { $0 = result }
            EventLoop.shared.complete(job.waiter)
        }
    }

    /// Looks `host` up with `getaddrinfo`, IPv4 and IPv6 stream addresses.
    @Sendable static func systemLookUp(_ host: String, port: Int) -> Result<[SocketAddress], NetworkError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            let reason = String(cString: gai_strerror(status))
            return .failure(NetworkError(.resolutionFailed, .resolve, detail: "\(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let sockaddr = current.pointee.ai_addr, let address = SocketAddress(sockaddr, port: port) {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            return .failure(NetworkError(.resolutionFailed, .resolve, detail: "\(host): no IPv4 or IPv6 address"))
        }
        return .success(addresses)
    }
}
