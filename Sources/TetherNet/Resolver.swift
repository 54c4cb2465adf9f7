import CTetherSystem
import Dispatch
import Foundation
import Glibc
import Synchronization
import TetherLocking

/// Resolves host names with `getaddrinfo` on one dedicated thread, never on the cooperative pool.
///
/// The caller waits in the event loop, so its deadline and cancellation end the wait at once;
/// a lookup already running in `getaddrinfo` cannot be interrupted and finishes on the resolver
/// thread, where its answer is dropped.
final class Resolver: Sendable {
    static let shared = Resolver()

    private struct Job: Sendable {
        let host: String
        let port: Int
        let answer: Answer
        let waiter: WaiterID
    }

    /// Where the resolver thread leaves the result for the waiting caller.
    private final class Answer: Sendable {
        let result = Locked<Result<[SocketAddress], NetworkError>?>(nil)
    }

    private let jobs = Locked<[Job]>([])
    private let jobsQueued = DispatchSemaphore(value: 0)
    private let started = Locked(false)

    /// The addresses of `host` (an IP literal is parsed without a lookup), in `getaddrinfo`'s order.
    ///
    /// - Throws: ``NetworkError`` (`.resolutionFailed`, `.timedOut` in phase `.resolve`), or
    ///   `CancellationError`.
    func resolve(_ host: String, port: Int, deadline: ContinuousClock.Instant) async throws -> [SocketAddress] {
        if let literal = SocketAddress(literal: host, port: port) {
            return [literal]
        }
        startThreadOnce()
        let answer = Answer()
        let wake = await EventLoop.shared.wait(deadline: deadline) { waiter in
            jobs.withLock { $0.append(Job(host: host, port: port, answer: answer, waiter: waiter)) }
            jobsQueued.signal()
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

    private func startThreadOnce() {
        let start = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard start else { return }
        Thread { [self] in
            ctether_set_thread_name("tether-net-dns")
            serve()
        }.start()
    }

    // Not yet: lookups run one at a time, so a slow DNS server delays later lookups (each still ends by its deadline).
    private func serve() -> Never {
        while true {
            jobsQueued.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            let result = Self.lookUp(job.host, port: job.port)
            job.answer.result.withLock { $0 = result }
            EventLoop.shared.complete(job.waiter)
        }
    }

    private static func lookUp(_ host: String, port: Int) -> Result<[SocketAddress], NetworkError> {
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
