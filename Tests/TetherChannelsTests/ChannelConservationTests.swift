import Testing
import TetherChannels
import TetherTestKit

/// What became of the elements in one randomized run.
private struct Ledger {
    var received: [Int] = []
    var handedBack: [Int] = []
}

/// One task of a randomized run, and what it reports.
private enum Actor {
    case sender(Task<[Int], Never>)
    case receiver(Task<[Int], Never>)
}

@Suite("BoundedChannel conservation", .timeLimit(.minutes(2)))
struct ChannelConservationTests {
    @Test(
        "randomized sends, receives, cancels and close: every element is received or handed back once",
        arguments: 1...40
    )
    func conservation(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let channel = BoundedChannel<Int>(capacity: Int.random(in: 0...4, using: &random))
        var actors: [Actor] = []
        var nextElement = 0
        for _ in 0..<Int.random(in: 20...80, using: &random) {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4:
                actors.append(.sender(Self.send(nextElement, to: channel)))
                nextElement += 1
            case 4..<5:
                let batch = Array(nextElement..<(nextElement + Int.random(in: 1...5, using: &random)))
                nextElement += batch.count
                actors.append(.sender(Self.send(contentsOf: batch, to: channel)))
            case 5..<7:
                actors.append(.receiver(Self.receive(from: channel, upTo: Int.random(in: 1...3, using: &random))))
            case 7..<9:
                Self.cancelOne(of: actors, using: &random)
            default:
                if let handedBack = Self.trySend(nextElement, to: channel) {
                    actors.append(.sender(Task { handedBack }))
                }
                nextElement += 1
            }
            if Bool.random(using: &random) {
                await Task.yield()
            }
        }
        var ledger = Ledger()
        if Bool.random(using: &random) {
            channel.close()
        } else {
            ledger.handedBack += channel.stopReceiving()
        }
        for actor in actors {
            switch actor {
            case .sender(let task): ledger.handedBack += await task.value
            case .receiver(let task): ledger.received += await task.value
            }
        }
        while let element = try await channel.receive() {
            ledger.received.append(element)
        }
        #expect((ledger.received + ledger.handedBack).sorted() == Array(0..<nextElement), "seed \(seed)")
        let statistics = channel.statistics
        #expect(statistics.isConserved, "\(statistics)")
        #expect(statistics.sent == nextElement)
        #expect(statistics.received == ledger.received.count)
        #expect(statistics.waitingSenders == 0 && statistics.waitingReceivers == 0)
    }

    /// A sender that reports the elements handed back to it.
    private static func send(_ element: Int, to channel: BoundedChannel<Int>) -> Task<[Int], Never> {
        Task {
            do throws(ChannelSendError<Int>) {
                try await channel.send(element)
                return []
            } catch {
                return [error.element]
            }
        }
    }

    private static func send(contentsOf batch: [Int], to channel: BoundedChannel<Int>) -> Task<[Int], Never> {
        Task {
            do throws(ChannelBatchSendError<Int>) {
                try await channel.send(contentsOf: batch)
                return []
            } catch {
                #expect(error.enqueuedCount + error.remaining.count == batch.count)
                return error.remaining
            }
        }
    }

    private static func trySend(_ element: Int, to channel: BoundedChannel<Int>) -> [Int]? {
        switch channel.trySend(element) {
        case .enqueued: nil
        case .full(let element), .closed(let element): [element]
        }
    }

    /// A receiver that reports what it received; a cancelled one reports what it got first.
    private static func receive(from channel: BoundedChannel<Int>, upTo count: Int) -> Task<[Int], Never> {
        Task {
            do {
                return count == 1
                    ? try await channel.receive().map { [$0] } ?? [] : try await channel.receive(upTo: count)
            } catch {
                return []
            }
        }
    }

    private static func cancelOne(of actors: [Actor], using random: inout SeededGenerator) {
        guard let actor = actors.randomElement(using: &random) else {
            return
        }
        switch actor {
        case .sender(let task): task.cancel()
        case .receiver(let task): task.cancel()
        }
    }
}
