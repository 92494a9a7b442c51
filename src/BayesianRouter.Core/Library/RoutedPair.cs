using BayesianRouter.Data;

namespace BayesianRouter;

/// <summary>
/// The router's decision for one pair and, after <see cref="PairRouter.LabelAsync"/>, its label. Send the pair's
/// feedback with <see cref="DecisionId"/>.
/// </summary>
public sealed record RoutedPair
{
    /// <summary>The pair's id (<see cref="PairInput.Id"/>).</summary>
    public required string PairId { get; init; }

    /// <summary>Identifies the decision in feedback (<see cref="PairRouter.LearnFromLossesAsync"/>).</summary>
    public required string DecisionId { get; init; }

    /// <summary>The RM the router chose for the pair.</summary>
    public required string Rm { get; init; }

    /// <summary>
    /// The probability the router's policy had of choosing <see cref="Rm"/> for this pair (always &gt; 0; a seeded
    /// Monte-Carlo estimate): what off-policy evaluation of other routing policies needs.
    /// </summary>
    public required double Probability { get; init; }

    /// <summary>Every RM, the chosen one first, then the others in the router's order of preference for this pair: the
    /// order in which to try RMs when one fails.</summary>
    public required IReadOnlyList<string> FallbackOrder { get; init; }

    /// <summary>The RM that labelled the pair: <see cref="Rm"/>, a fallback when it failed, or null when none could
    /// (after <see cref="PairRouter.Route"/>: <see cref="Rm"/>, which you call yourself).</summary>
    public string? LabelledBy { get; init; }

    /// <summary>The label: a, b or tie; null when no RM labelled the pair (or after <see cref="PairRouter.Route"/>).</summary>
    public Preference? Preferred { get; init; }

    /// <summary>The labelling RM's judgment (two scores, or a verdict); null when there is none.</summary>
    public Judgment? Judgment { get; init; }

    /// <summary>Why the pair has no label (every RM that failed, with its reason); null when labelled.</summary>
    public string? Error { get; init; }
}
