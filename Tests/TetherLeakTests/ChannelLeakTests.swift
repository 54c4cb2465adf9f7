import Testing
import TetherChannels

@Suite("No leaks: BoundedChannel")
struct ChannelLeakTests {
    @Test(
        "after 20,000 elements through 8 producers and 8 consumers and a close, no task waits and the channel is freed")
    func busyChannelLeavesNothing() async throws {
        let (reference, received) = try await Self.moveElements(producers: 8, consumers: 8, perProducer: 2_500)
        #expect(received == 20_000)
        #expect(reference.object == nil)
    }

    @Test("16 senders cancelled while the channel is full get their elements back and leave no waiter")
    func cancelledSendersLeaveNothing() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        #expect(channel.trySend(0).isEnqueued)
        let handedBack = await withTaskGroup(of: Int?.self) { group in
            for element in 1...16 {
                group.addTask {
                    do throws(ChannelSendError<Int>) {
                        try await channel.send(element)
                        return nil
                    } catch {
                        return error.element
                    }
                }
            }
            _ = await Census.eventually { channel.statistics.waitingSenders == 16 }
            group.cancelAll()
            return await group.reduce(into: [Int]()) { all, element in element.map { all.append($0) } }
        }
        #expect(handedBack.sorted() == Array(1...16))
        #expect(channel.statistics.waitingSenders == 0)
        #expect(channel.statistics.handedBackOnCancel == 16)
    }

    /// Runs producers and consumers to the end and returns a weak reference to the channel,
    /// which is no longer held here.
    private static func moveElements(
        producers: Int, consumers: Int, perProducer: Int
    ) async throws -> (WeakReference<BoundedChannel<Int>>, Int) {
        let channel = BoundedChannel<Int>(capacity: 4)
        let received = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<consumers {
                group.addTask {
                    var count = 0
                    while try await channel.receive() != nil {
                        count += 1
                    }
                    return count
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { senders in
                for producer in 0..<producers {
                    senders.addTask {
                        for element in 0..<perProducer {
                            try await channel.send(producer * perProducer + element)
                        }
                    }
                }
                try await senders.waitForAll()
            }
            channel.close()
            return try await group.reduce(0, +)
        }
        let statistics = channel.statistics
        #expect(statistics.waitingSenders == 0 && statistics.waitingReceivers == 0 && statistics.depth == 0)
        return (WeakReference(channel), received)
    }
}
