import Synchronization
import TetherChannels

extension BoundedChannel {
    /// Returns once `count` sends are waiting, yielding meanwhile: no timed sleep.
    func waitForSenders(_ count: Int) async {
        while statistics.waitingSenders < count {
            await Task.yield()
        }
    }

    /// Returns once `count` receives are waiting, yielding meanwhile: no timed sleep.
    func waitForReceivers(_ count: Int) async {
        while statistics.waitingReceivers < count {
            await Task.yield()
        }
    }
}

/// Something a channel element owns and someone must release: a stand-in for a file handle
/// or a connection that counts releases, so a test sees any that is lost or released twice.
final class Resource: Sendable {
    let id: Int
    private let releases: Atomic<Int>

    init(id: Int) {
        self.id = id
        self.releases = Atomic(0)
    }

    func release() {
        releases.add(1, ordering: .relaxed)
    }

    var releaseCount: Int { releases.load(ordering: .relaxed) }
}

extension BoundedChannel {
    /// Sends `element`; returns the error that handed it back, or `nil` when it got in.
    func sendReportingFailure(_ element: Element) async -> ChannelSendError<Element>? {
        do throws(ChannelSendError<Element>) {
            try await send(element)
            return nil
        } catch {
            return error
        }
    }

    /// Sends `element` with a deadline; returns the error that handed it back, or `nil`.
    func sendReportingFailure<C: Clock>(_ element: Element, deadline: C.Instant, clock: C) async
        -> ChannelSendError<Element>?
    {
        do throws(ChannelSendError<Element>) {
            try await send(element, deadline: deadline, clock: clock)
            return nil
        } catch {
            return error
        }
    }

    /// Sends `elements`; returns the error that handed some back, or `nil` when all got in.
    func sendReportingFailure(contentsOf elements: some Sequence<Element> & Sendable) async
        -> ChannelBatchSendError<Element>?
    {
        do throws(ChannelBatchSendError<Element>) {
            try await send(contentsOf: elements)
            return nil
        } catch {
            return error
        }
    }
}
