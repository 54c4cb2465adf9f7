import Testing

@testable import TetherChannels

@Suite("BoundedChannel under stress", .timeLimit(.minutes(2)))
struct ChannelStressTests {
    @Test("many producers and consumers move every element exactly once", arguments: [0, 1, 8, 64])
    func manyProducersAndConsumers(capacity: Int) async throws {
        let channel = BoundedChannel<Int>(capacity: capacity)
        let producers = 8
        let perProducer = 2_000
        let received = await withTaskGroup(of: [Int].self) { group in
            for consumer in 0..<4 {
                group.addTask {
                    var mine: [Int] = []
                    // Half the consumers take batches, half single elements.
                    while true {
                        let batch =
                            consumer.isMultiple(of: 2)
                            ? try! await channel.receive(upTo: 16)
                            : (try! await channel.receive()).map { [$0] } ?? []
                        if batch.isEmpty {
                            return mine
                        }
                        mine += batch
                    }
                }
            }
            await withTaskGroup(of: Void.self) { senders in
                for producer in 0..<producers {
                    senders.addTask {
                        let first = producer * perProducer
                        if producer.isMultiple(of: 2) {
                            try! await channel.send(contentsOf: first..<(first + perProducer))
                        } else {
                            for element in first..<(first + perProducer) {
                                try! await channel.send(element)
                            }
                        }
                    }
                }
            }
            channel.close()
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(received.sorted() == Array(0..<(producers * perProducer)))
        let statistics = channel.statistics
        #expect(statistics.isConserved, "\(statistics)")
        #expect(statistics.highWaterMark <= capacity)
        #expect(statistics.waitingSenders == 0 && statistics.waitingReceivers == 0)
    }

    @Test("a burst of waiting senders and receivers leaves no storage behind")
    func noGrowthAfterBurst() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        try await channel.send(-1)
        await withTaskGroup(of: Void.self) { group in
            for element in 0..<2_000 {
                group.addTask { try! await channel.send(element) }
            }
            await channel.waitForSenders(2_000)
            for _ in 0...2_000 {
                _ = try! await channel.receive()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2_000 {
                group.addTask { _ = try! await channel.receive() }
            }
            await channel.waitForReceivers(2_000)
            try! await channel.send(contentsOf: 0..<2_000)
        }
        let slots = channel.withMachine { $0.allocatedSlots }
        #expect(slots.senders <= 64, "sender waiter storage stayed at \(slots.senders) slots")
        #expect(slots.receivers <= 64, "receiver waiter storage stayed at \(slots.receivers) slots")
        #expect(slots.buffer <= 16)
    }
}
