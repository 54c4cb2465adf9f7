import Testing
import TetherChannels
import TetherTestKit

// The examples of Docs/channels.md, compiled and run so the guide cannot drift from the API.

struct Job: Sendable, Equatable {
    var id: Int
}

@Suite("Channel guide examples", .timeLimit(.minutes(1)))
struct ChannelGuideExamplesTests {
    @Test("a producer held back by a consumer, ending with close")
    func producerAndConsumer() async throws {
        let jobs = BoundedChannel<Job>(capacity: 64)
        let consumer = Task {
            var done: [Int] = []
            for try await job in jobs {
                done.append(job.id)
            }
            return done
        }
        for id in 0..<100 {
            try await jobs.send(Job(id: id))  // waits while 64 jobs are queued
        }
        jobs.close()
        #expect(try await consumer.value == Array(0..<100))
    }

    @Test("trySend hands the element back when full")
    func trySend() {
        let jobs = BoundedChannel<Job>(capacity: 1)
        var deferred: [Job] = []
        for id in 0..<3 {
            switch jobs.trySend(Job(id: id)) {
            case .enqueued: break
            case .full(let job): deferred.append(job)
            case .closed(let job): deferred.append(job)
            }
        }
        #expect(deferred == [Job(id: 1), Job(id: 2)])
    }

    @Test("a send with a deadline gets its element back in the error")
    func sendWithDeadline() async throws {
        let clock = ManualClock()
        let jobs = BoundedChannel<Job>(capacity: 1)
        try await jobs.send(Job(id: 0))
        let sender = Task {
            do throws(ChannelSendError<Job>) {
                try await jobs.send(Job(id: 1), deadline: clock.now.advanced(by: .seconds(2)), clock: clock)
                return "sent"
            } catch {
                return "\(error.reason): job \(error.element.id) back in hand"
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(2))
        #expect(await sender.value == "timed_out: job 1 back in hand")
    }

    @Test("a consumer that gives up hands the buffered elements back")
    func stopReceiving() async throws {
        let jobs = BoundedChannel<Job>(capacity: 8)
        try await jobs.send(contentsOf: (0..<3).map(Job.init))
        let unprocessed = jobs.stopReceiving()
        #expect(unprocessed.map(\.id) == [0, 1, 2])
        guard case .closed = jobs.trySend(Job(id: 3)) else {
            Issue.record("a send after stopReceiving got in")
            return
        }
    }

    @Test("batches in and out, and statistics for metrics")
    func batches() async throws {
        let results = BoundedChannel<Int>(capacity: 256)
        let producer = Task {
            try await results.send(contentsOf: 0..<300)  // enqueues 256, then waits for room
            results.close()
        }
        var written = 0
        while case let batch = try await results.receive(upTo: 100), !batch.isEmpty {
            written += batch.count
        }
        try await producer.value
        let statistics = results.statistics
        #expect(written == 300)
        #expect(statistics.highWaterMark <= 256)
        #expect(statistics.isConserved)
    }

    @Test("a cancelled consumer stops the channel, so producers learn it at once")
    func cancelledConsumer() async throws {
        let jobs = BoundedChannel<Job>(capacity: 1)
        let requeued = Task {
            var requeued: [Job] = []
            do {
                for try await job in jobs {
                    _ = job
                }
            } catch {
                // Cancelled: nobody will take the rest, so it goes back to its source.
                requeued += jobs.stopReceiving()
            }
            return requeued
        }
        await jobs.waitForReceivers(1)
        requeued.cancel()
        #expect(await requeued.value == [])
        let refused = await jobs.sendReportingFailure(Job(id: 7))
        #expect(refused?.reason == .closed)
        #expect(refused?.element == Job(id: 7))
    }
}
