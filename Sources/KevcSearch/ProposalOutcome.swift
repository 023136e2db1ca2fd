/// What the engine did with each proposal of a proposer call, told back to the proposer (`Proposer.observe`): the
/// LLM agent records each proposal's fate with its call and feeds rejections into its next prompt. Built-in
/// proposers ignore it.

/// The fate of one proposal.
public enum ProposalOutcome: Sendable, Hashable {
  /// The trace does not parse, apply, verify or lower to the target: never evaluated.
  case illegal(reason: String)
  /// Its IR is already a candidate.
  case duplicate
  /// A new candidate, queued for evaluation.
  case candidate(id: Int)
  /// Beyond what the engine considers from one call.
  case ignored
}

extension Proposer {
  public mutating func observe(_ outcomes: [ProposalOutcome]) {}
  public var isWaiting: Bool { false }
}
