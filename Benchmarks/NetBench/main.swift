// Measures what TetherNet promises: prompt cancellation and idle connections that cost no threads.
//
//   make bench-net
//
// Prints one JSON line per figure. Everything runs against loopback servers this process starts.
@preconcurrency import Glibc
import TetherNet
import TetherTestKit

setvbuf(stdout, nil, _IOLBF, 0)

let cancels = 1000
let idleConnections = 1000

/// One JSON line; `peer` is the same figure for a thread per connection blocked in `recv`.
func report(_ name: String, _ unit: String, _ value: Double, peer: Double? = nil, target: Double? = nil) {
    func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
    var line = "{\"suite\":\"net\",\"case\":\"\(name)\",\"unit\":\"\(unit)\",\"ours\":\(rounded(value))"
    if let peer { line += ",\"peer\":\(rounded(peer)),\"peer_name\":\"blocking-thread-per-connection\"" }
    if let target { line += ",\"target\":\(target)" }
    print(line + "}")
}

func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}

/// From the moment `cancel()` is called until the reading task has returned, over many reads.
func measureCancelLatency() async throws {
    let listener = try LoopbackListener { _ in }
    defer { listener.close() }
    var latencies: [Double] = []
    for _ in 0..<cancels {
        let stream = try await TCPStream.connect(host: listener.host, port: listener.port, deadline: .now + .seconds(5))
        let reader = Task { try await stream.read(maximumCount: 64, deadline: .now + .seconds(60)) }
        try await Task.sleep(for: .milliseconds(1))
        let start = ContinuousClock.now
        reader.cancel()
        _ = await reader.result
        latencies.append(milliseconds(ContinuousClock.now - start))
        precondition(stream.isClosed, "a cancelled read left its stream open")
    }
    latencies.sort()
    let peer = BlockingPeer.cancelLatencies(port: listener.port, count: cancels)
    report("cancel-p50", "ms", percentile(latencies, 0.50), peer: percentile(peer, 0.50))
    report("cancel-p99", "ms", percentile(latencies, 0.99), peer: percentile(peer, 0.99), target: 5)
}

/// Threads and resident memory with many idle TLS connections, each waiting in a read.
func measureIdleTLS() async throws {
    let certificates = try await TestCertificates.make()
    defer { certificates.remove() }
    let server = try LoopbackTLSServer(certificates: certificates, behaviour: .hold)
    defer { server.close() }
    let tls = certificates.trustingConfiguration
    let rssBefore = residentMiB()
    let start = ContinuousClock.now
    var streams: [TCPStream] = []
    for _ in 0..<idleConnections {
        streams.append(
            try await TCPStream.connect(host: "localhost", port: server.port, deadline: .now + .seconds(10), tls: tls)
        )
    }
    let connectTime = ContinuousClock.now - start
    let readers = streams.map { stream in
        Task { try? await stream.read(maximumCount: 64, deadline: .now + .seconds(600)) }
    }
    try await Task.sleep(for: .milliseconds(500))
    report("idle-tls-threads", "threads", Double(threadCount()), target: 16)
    report("idle-tls-rss", "MiB", residentMiB())
    report("idle-tls-rss-growth", "MiB", residentMiB() - rssBefore)
    report("tls-connect-mean", "ms", milliseconds(connectTime) / Double(idleConnections))
    streams.forEach { $0.close() }
    for reader in readers { _ = await reader.value }
}

/// The same idle cost over plain TCP, ours beside a blocked thread per connection.
func measureIdlePlain() async throws {
    let listener = try LoopbackListener { _ in }
    defer { listener.close() }
    let rssBefore = residentMiB()
    var streams: [TCPStream] = []
    for _ in 0..<idleConnections {
        streams.append(
            try await TCPStream.connect(host: listener.host, port: listener.port, deadline: .now + .seconds(10)))
    }
    let readers = streams.map { stream in
        Task { try? await stream.read(maximumCount: 64, deadline: .now + .seconds(600)) }
    }
    try await Task.sleep(for: .milliseconds(200))
    let threads = threadCount()
    let growth = residentMiB() - rssBefore
    streams.forEach { $0.close() }
    for reader in readers { _ = await reader.value }
    let peerBefore = residentMiB()
    let peer = BlockingPeer.idleCost(port: listener.port, count: idleConnections)
    report("idle-tcp-threads", "threads", Double(threads), peer: Double(peer.threads), target: 16)
    report("idle-tcp-rss-growth", "MiB", growth, peer: peer.residentMiB - peerBefore)
}

func threadCount() -> Int {
    guard let directory = opendir("/proc/self/task") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
    }
    return count
}

/// VmRSS from /proc/self/status: client and server sides together, both live in this process.
func residentMiB() -> Double {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:"), let kib = Double(text.split(separator: " ")[1]) {
            return kib / 1024
        }
    }
    return -1
}

try await measureCancelLatency()
try await measureIdleTLS()
try await measureIdlePlain()
