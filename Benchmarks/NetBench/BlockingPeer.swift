import Dispatch
import Foundation
import Glibc

/// The design TetherNet avoids, measured beside it: a thread per connection blocked in `recv`,
/// cancelled by shutting the socket down from another thread.
enum BlockingPeer {
    /// A plain blocking TCP socket connected to 127.0.0.1:`port`.
    static func connect(port: Int) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        precondition(status == 0, "BlockingPeer: connect failed with errno \(errno)")
        return descriptor
    }

    /// Starts a thread blocked in `recv` on `descriptor`; `returned` is signalled when it comes back.
    static func startReader(_ descriptor: Int32, returned: DispatchSemaphore, started: DispatchSemaphore) {
        Thread {
            var byte: UInt8 = 0
            started.signal()
            _ = recv(descriptor, &byte, 1, 0)
            returned.signal()
        }.start()
    }

    /// Milliseconds from `shutdown` until the blocked reader has returned, over `count` connections.
    static func cancelLatencies(port: Int, count: Int) -> [Double] {
        var latencies: [Double] = []
        for _ in 0..<count {
            let descriptor = connect(port: port)
            let returned = DispatchSemaphore(value: 0)
            let started = DispatchSemaphore(value: 0)
            startReader(descriptor, returned: returned, started: started)
            started.wait()
            usleep(1000)
            let start = ContinuousClock.now
            shutdown(descriptor, Int32(SHUT_RDWR))
            returned.wait()
            latencies.append(milliseconds(ContinuousClock.now - start))
            close(descriptor)
        }
        return latencies.sorted()
    }

    /// Threads and resident memory with `count` idle connections, a blocked reader thread each.
    static func idleCost(port: Int, count: Int) -> (threads: Int, residentMiB: Double) {
        let returned = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let descriptors = (0..<count).map { _ in connect(port: port) }
        for descriptor in descriptors {
            startReader(descriptor, returned: returned, started: started)
            started.wait()
        }
        usleep(200_000)
        let cost = (threadCount(), residentMiB())
        for descriptor in descriptors {
            shutdown(descriptor, Int32(SHUT_RDWR))
        }
        for descriptor in descriptors {
            returned.wait()
            close(descriptor)
        }
        return cost
    }
}
