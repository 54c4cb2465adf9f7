import TetherChannels

/// One way of moving `count` ints from producers to one consumer; returns messages per second.
typealias Workload = @Sendable (_ count: Int, _ capacity: Int, _ producers: Int) async -> Double

/// Our channel, one element per send and per receive.
func channelSingle(count: Int, capacity: Int, producers: Int) async -> Double {
    let channel = BoundedChannel<Int>(capacity: capacity)
    return await measure(count: count) {
        await withTaskGroup(of: Void.self) { group in
            let share = count / producers
            for producer in 0..<producers {
                group.addTask {
                    for value in (producer * share)..<((producer + 1) * share) {
                        try! await channel.send(value)
                    }
                }
            }
            group.addTask {
                var received = 0
                while try! await channel.receive() != nil {
                    received += 1
                    if received == share * producers {
                        break
                    }
                }
                precondition(received == share * producers, "channel received \(received)")
            }
        }
    }
}

/// Our channel's batch API: `send(contentsOf:)` in chunks, `receive(upTo:)` a buffer at a time.
func channelBatch(count: Int, capacity: Int, producers: Int) async -> Double {
    let channel = BoundedChannel<Int>(capacity: capacity)
    let chunk = 256
    return await measure(count: count) {
        await withTaskGroup(of: Void.self) { group in
            let share = count / producers
            for producer in 0..<producers {
                group.addTask {
                    var next = producer * share
                    let end = next + share
                    while next < end {
                        let stop = min(end, next + chunk)
                        try! await channel.send(contentsOf: next..<stop)
                        next = stop
                    }
                }
            }
            group.addTask {
                var received = 0
                while received < share * producers {
                    received += try! await channel.receive(upTo: capacity).count
                }
            }
        }
    }
}

/// The toolchain's `AsyncStream`, unbounded: it has no backpressure, which only helps it.
func asyncStream(count: Int, capacity: Int, producers: Int) async -> Double {
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .unbounded)
    return await measure(count: count) {
        await withTaskGroup(of: Void.self) { group in
            let share = count / producers
            for producer in 0..<producers {
                group.addTask {
                    for value in (producer * share)..<((producer + 1) * share) {
                        continuation.yield(value)
                    }
                }
            }
            group.addTask {
                var received = 0
                for await _ in stream {
                    received += 1
                    if received == share * producers {
                        break
                    }
                }
                precondition(received == share * producers, "stream received \(received)")
            }
        }
    }
}

private func measure(count: Int, _ body: () async -> Void) async -> Double {
    let clock = ContinuousClock()
    let elapsed = await clock.measure { await body() }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return Double(count) / seconds
}
