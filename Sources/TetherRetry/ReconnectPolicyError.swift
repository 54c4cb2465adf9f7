/// A ``ReconnectPolicy`` or ``RetryBudget`` setting was out of range.
///
/// ``field`` names the parameter, so a configuration mistake is found where it was made.
public struct ReconnectPolicyError: Error, Hashable, CustomStringConvertible {
    /// What was wrong with the field; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notPositive = "must be greater than zero"
            case notFinite = "must be a finite number"
            case multiplierBelowOne = "must be at least 1"
            case capBelowBase = "must not be below baseDelay"
            case outOfRange = "is out of range"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A delay, duration or count was zero or negative.
        public static let notPositive = Code(.notPositive)
        /// A number was infinite or NaN.
        public static let notFinite = Code(.notFinite)
        /// The multiplier was below 1, so delays would shrink.
        public static let multiplierBelowOne = Code(.multiplierBelowOne)
        /// The maximum delay was below the base delay.
        public static let capBelowBase = Code(.capBelowBase)
        /// A fraction or ratio was outside its documented range.
        public static let outOfRange = Code(.outOfRange)

        public var description: String { base.rawValue }
    }

    /// What was wrong.
    public let code: Code
    /// The parameter that was wrong, as spelled in the initializer.
    public let field: String
    /// The rejected value, as text.
    public let value: String

    init(_ code: Code, field: String, value: String) {
        self.code = code
        self.field = field
        self.value = value
    }

    public var description: String {
        "invalid retry setting: \(field) \(code) (got \(value))"
    }
}
