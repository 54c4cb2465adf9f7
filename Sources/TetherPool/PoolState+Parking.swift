extension PoolState {
    /// Turns connection `id`'s cell on for a caller running on the connection's thread, and
    /// makes it that thread's cell; nil when the connection has none.
    mutating func lendThroughCell(_ id: Int, holder: UInt) -> ParkCell? {
        guard let cell = cells[id] else {
            return nil
        }
        cell.lend(to: holder)
        ParkCell.setCurrent(cell)
        return cell
    }

    /// Turns every cell off and gives the parked connections back to the machine, so that it
    /// sees them idle again; called under the lock before any event but a borrow or a return.
    mutating func reclaimParked(now: Duration) -> [Machine.Action] {
        var actions: [Machine.Action] = []
        for cell in cells.values {
            switch cell.turnOff() {
            case .off:
                break
            case .lent(let holder):
                // Its borrower gives it back through the machine; a waiting task looks it up by holder.
                machine.recordHolder(holder, of: cell.connectionID)
            case .parked(let lease):
                actions += machine.release(lease.ticket, .reusable, now: now, lastUsed: lease.parkedSince)
            }
        }
        return actions
    }

    /// `event`'s actions, after the parked connections went back to the machine.
    mutating func settled(
        now: Duration, _ event: (inout Machine, Duration) -> [Machine.Action]
    ) -> [Machine.Action] {
        let reclaimed = reclaimParked(now: now)
        return reclaimed + event(&machine, now)
    }

    /// Connections parked in their cells right now: leased for the machine, idle in truth.
    var parkedCount: Int {
        cells.values.reduce(0) { $0 + ($1.phase == .parked ? 1 : 0) }
    }
}
