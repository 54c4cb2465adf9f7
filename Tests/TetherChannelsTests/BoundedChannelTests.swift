import Testing
import TetherChannels
import TetherTestKit

@Suite("BoundedChannel", .timeLimit(.minutes(1)))
struct BoundedChannelTests {
    @Test("elements come out in the order they went in")
    func fifo() async throws {
        let channel = BoundedChannel<Int>(capacity: 8)
        for element in 0..<8 {
            try await channel.send(element)
        }
        channel.close()
        var received: [Int] = []
        for try await element in channel {
            received.append(element)
        }
        #expect(received == Array(0..<8))
    }

    @Test("C2: trySend on a full channel reports full and returns the element")
    func trySendFull() {
        let channel = BoundedChannel<String>(capacity: 1)
        #expect(channel.trySend("a").isEnqueued)
        guard case .full(let element) = channel.trySend("b") else {
            Issue.record("a full channel accepted an element")
            return
        }
        #expect(element == "b")
        #expect(channel.statistics.rejectedFull == 1)
        #expect(channel.depth == 1)
    }

    @Test("C4: a send waiting on a full channel resumes promptly when cancelled, element in hand")
    func cancelledSendResumes() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        try await channel.send(0)
        let sender = Task { await channel.sendReportingFailure(1) }
        await channel.waitForSenders(1)
        sender.cancel()
        let error = try #require(await sender.value, "the cancelled send claimed success on a full channel")
        #expect(error.reason == .cancelled)
        #expect(error.element == 1)
        #expect(channel.statistics.handedBackOnCancel == 1)
    }

    @Test("C1: cancelled sends either enqueued or got their element back; sent == received + handed back")
    func cancelledSendsConserve() async throws {
        let channel = BoundedChannel<Int>(capacity: 2)
        let senders = (0..<200).map { element in
            Task { () -> Int in
                do throws(ChannelSendError<Int>) {
                    try await channel.send(element)
                    return 0
                } catch {
                    return 1
                }
            }
        }
        // Two sends fill the channel and the rest wait; half of all senders are cancelled,
        // racing with a receiver that drains the channel until it is closed. The receiver
        // never stops early, so every send that is not cancelled completes (a receiver that
        // stopped after a fixed count left senders waiting for ever when some cancelled sends
        // had been received first).
        await channel.waitForSenders(198)
        let receiver = Task { () -> Int in
            var received = 0
            while try await channel.receive() != nil { received += 1 }
            return received
        }
        for (index, sender) in senders.enumerated() where index % 2 == 0 {
            sender.cancel()
        }
        var handedBack = 0
        for sender in senders {
            handedBack += await sender.value
        }
        channel.close()
        let received = try await receiver.value
        let statistics = channel.statistics
        #expect(statistics.isConserved, "\(statistics)")
        #expect(statistics.sent == 200)
        #expect(received == statistics.received)
        #expect(received + handedBack == 200)
        #expect(handedBack <= 100)
    }

    @Test("C5: a consumer cancelled while waiting leaves the next element buffered for a live one")
    func cancelledReceiver() async throws {
        let channel = BoundedChannel<Int>(capacity: 4)
        let consumer = Task { try await channel.receive() }
        await channel.waitForReceivers(1)
        consumer.cancel()
        await #expect(throws: CancellationError.self) { try await consumer.value }
        try await channel.send(42)
        #expect(channel.depth == 1)
        #expect(try await channel.receive() == 42)
    }

    @Test("C6: when the only consumer stops, waiting and new sends fail at once with their element")
    func consumerStops() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        try await channel.send(1)
        let waiting = Task { await channel.sendReportingFailure(2) }
        await channel.waitForSenders(1)
        #expect(channel.stopReceiving() == [1])
        let error = try #require(await waiting.value, "a waiting send succeeded on a channel nobody reads")
        #expect(error.reason == .closed)
        #expect(error.element == 2)
        guard case .closed(3) = channel.trySend(3) else {
            Issue.record("a new send was not refused")
            return
        }
    }

    @Test("C7: closing with several consumers waiting resumes each with the end")
    func closeWithWaitingConsumers() async throws {
        let channel = BoundedChannel<Int>(capacity: 4)
        let consumers = (0..<5).map { _ in Task { try await channel.receive() } }
        await channel.waitForReceivers(5)
        channel.close()
        for consumer in consumers {
            #expect(try await consumer.value == nil)
        }
        #expect(channel.statistics.waitingReceivers == 0)
    }

    @Test("C3: elements that own resources are all received or handed back, none lost")
    func resourcesAccountedFor() async throws {
        let resources = (0..<20).map(Resource.init)
        let channel = BoundedChannel<Resource>(capacity: 4)
        let senders = resources.map { resource in
            Task {
                do throws(ChannelSendError<Resource>) {
                    try await channel.send(resource)
                } catch {
                    error.element.release()
                }
            }
        }
        for _ in 0..<3 {
            try await channel.receive()?.release()
        }
        for leftover in channel.stopReceiving() {
            leftover.release()
        }
        for sender in senders {
            await sender.value
        }
        #expect(resources.map(\.releaseCount) == Array(repeating: 1, count: 20))
        #expect(channel.statistics.isConserved)
    }

    @Test("a send with a deadline on the manual clock times out with its element")
    func sendTimesOut() async throws {
        let clock = ManualClock()
        let channel = BoundedChannel<Int>(capacity: 1)
        try await channel.send(0)
        let sender = Task {
            await channel.sendReportingFailure(1, deadline: clock.now.advanced(by: .seconds(2)), clock: clock)
        }
        await clock.waitForSleepers(1)
        await channel.waitForSenders(1)
        clock.advance(by: .seconds(2))
        let error = try #require(await sender.value, "a send on a full channel succeeded without a receiver")
        #expect(error.reason == .timedOut)
        #expect(error.element == 1)
    }

    @Test("a send with a deadline that finds room returns and leaves no timer behind")
    func sendWithDeadlineSucceeds() async throws {
        let clock = ManualClock()
        let channel = BoundedChannel<Int>(capacity: 1)
        try await channel.send(0)
        let sender = Task {
            await channel.sendReportingFailure(1, deadline: clock.now.advanced(by: .seconds(2)), clock: clock)
        }
        await channel.waitForSenders(1)
        #expect(try await channel.receive() == 0)
        #expect(await sender.value == nil)
        #expect(clock.sleeperCount == 0)
        #expect(try await channel.receive() == 1)
    }

    @Test("a batch send waits for room and delivers everything in order")
    func batchSend() async throws {
        let channel = BoundedChannel<Int>(capacity: 3)
        let producer = Task {
            let error = await channel.sendReportingFailure(contentsOf: 0..<10)
            channel.close()
            return error
        }
        var received: [Int] = []
        while case let batch = try await channel.receive(upTo: 4), !batch.isEmpty {
            #expect(batch.count <= 4)
            received += batch
        }
        #expect(await producer.value == nil)
        #expect(received == Array(0..<10))
    }

    @Test("a batch send on a channel that closes hands back exactly what did not get in")
    func batchSendClosed() async throws {
        let channel = BoundedChannel<Int>(capacity: 2)
        let producer = Task { await channel.sendReportingFailure(contentsOf: 0..<5) }
        await channel.waitForSenders(1)
        channel.close()
        let error = try #require(await producer.value, "the batch claimed success")
        #expect(error.enqueuedCount == 2)
        #expect(error.remaining == [2, 3, 4])
        #expect(try await channel.receive(upTo: 10) == [0, 1])
        #expect(try await channel.receive(upTo: 10) == [])
    }

    @Test("waiting senders get in one at a time, in arrival order")
    func sendersInArrivalOrder() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        try await channel.send(0)
        var senders: [Task<ChannelSendError<Int>?, Never>] = []
        for element in 1...5 {
            senders.append(Task { await channel.sendReportingFailure(element) })
            await channel.waitForSenders(element)
        }
        var received: [Int] = []
        for _ in 0...5 {
            received.append(try #require(try await channel.receive()))
        }
        #expect(received == [0, 1, 2, 3, 4, 5])
        for sender in senders {
            #expect(await sender.value == nil)
        }
    }

    @Test("a rendezvous channel hands each element from sender to receiver")
    func rendezvous() async throws {
        let channel = BoundedChannel<Int>(capacity: 0)
        #expect(!channel.trySend(1).isEnqueued)
        let producer = Task {
            for element in 0..<100 {
                #expect(await channel.sendReportingFailure(element) == nil)
            }
            channel.close()
        }
        var received: [Int] = []
        for try await element in channel {
            received.append(element)
        }
        await producer.value
        #expect(received == Array(0..<100))
        #expect(channel.statistics.highWaterMark == 0)
    }
}
