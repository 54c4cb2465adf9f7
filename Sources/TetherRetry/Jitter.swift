/// How a retry delay is randomised so that clients that failed together do not retry together.
///
/// Jitter is applied to the delay *after* it has been capped at
/// ``ReconnectPolicy/maximumDelay``, so clients that have all reached the cap still spread
/// out instead of bunching at the ceiling. With `d = min(cap, base × multiplier^(n-1))`
/// for attempt `n + 1` and `U(a, b)` a uniform random draw:
///
/// | jitter | delay |
/// |---|---|
/// | ``none`` | `d` |
/// | ``full`` | `U(0, d)` |
/// | ``equal`` | `d/2 + U(0, d/2)` |
/// | ``decorrelated`` | `U(base, min(cap, 3 × previous))`, `previous` starting at `base` |
/// | ``proportional(_:)`` with fraction `f` | `d × U(1 - f, 1 + f)` |
///
/// ``full``, ``equal`` and ``decorrelated`` are the variants compared in Marc Brooker's
/// "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015); ``proportional(_:)`` is the
/// "+/- 20 %" jitter of gRPC's connection backoff. A proportional delay may exceed the cap
/// by up to the fraction; the other kinds never exceed it.
public struct Jitter: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable {
        case none
        case full
        case equal
        case decorrelated
        case proportional(Double)
    }

    private let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// No randomness: every client waits exactly the capped exponential delay.
    public static let none = Jitter(.none)

    /// A uniform draw between zero and the capped delay.
    public static let full = Jitter(.full)

    /// Half the capped delay, plus a uniform draw up to the other half.
    public static let equal = Jitter(.equal)

    /// A uniform draw between the base delay and three times the previous delay, capped.
    /// It grows from the previous draw rather than from the attempt number.
    public static let decorrelated = Jitter(.decorrelated)

    /// The capped delay scaled by a uniform factor in `1 - fraction ... 1 + fraction`.
    ///
    /// - Parameter fraction: how far either side of the delay to spread, in `0 ..< 1`;
    ///   validated when a ``ReconnectPolicy`` is made.
    public static func proportional(_ fraction: Double) -> Jitter {
        Jitter(.proportional(fraction))
    }

    public var description: String {
        switch kind {
        case .none: "none"
        case .full: "full"
        case .equal: "equal"
        case .decorrelated: "decorrelated"
        case .proportional(let fraction): "proportional(\(fraction))"
        }
    }

    /// The fraction of ``proportional(_:)``, `nil` for the other kinds.
    var proportionalFraction: Double? {
        if case .proportional(let fraction) = kind {
            return fraction
        }
        return nil
    }

    /// The jittered delay, in seconds.
    ///
    /// - Parameters:
    ///   - capped: the capped exponential delay `d`.
    ///   - previous: the previous delay returned, or the base delay before the first.
    func apply<G: RandomNumberGenerator>(
        capped: Double,
        previous: Double,
        base: Double,
        cap: Double,
        using generator: inout G
    ) -> Double {
        switch kind {
        case .none:
            return capped
        case .full:
            return Double.random(in: 0...capped, using: &generator)
        case .equal:
            return capped / 2 + Double.random(in: 0...(capped / 2), using: &generator)
        case .decorrelated:
            let upper = min(cap, max(base, previous * 3))
            return Double.random(in: base...upper, using: &generator)
        case .proportional(let fraction):
            return capped * Double.random(in: (1 - fraction)...(1 + fraction), using: &generator)
        }
    }
}
