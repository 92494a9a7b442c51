namespace BayesianRouter.Data;

/// <summary>
/// What live routing decided for a pair (<c>bayesrouter label</c>): the pair file's optional <c>routing</c> object.
/// The label itself is also stored as the labelling RM's entry under <c>judgments</c>.
/// </summary>
public sealed record RoutingRecord
{
    /// <summary>The decision's id in the decision log (feedback names it).</summary>
    public required string DecisionId { get; init; }

    /// <summary>The RM the router chose.</summary>
    public required string Chosen { get; init; }

    /// <summary>The probability the routing policy had of choosing it (&gt; 0).</summary>
    public required double Probability { get; init; }

    /// <summary>The RM that labelled the pair (the chosen one, or a fallback); null when none could.</summary>
    public string? Rm { get; init; }

    /// <summary>The label: a, b, tie; null when no RM could label the pair.</summary>
    public Preference? Label { get; init; }

    /// <summary>The RMs that failed on the pair before <see cref="Rm"/>, in order, with their reasons.</summary>
    public IReadOnlyList<(string Rm, string Reason)> FallbackFrom { get; init; } = [];

    /// <summary>Why there is no label.</summary>
    public string? Error { get; init; }

    /// <summary>Hash of the features the decision was made on (16 hex digits).</summary>
    public required string FeaturesHash { get; init; }
}
