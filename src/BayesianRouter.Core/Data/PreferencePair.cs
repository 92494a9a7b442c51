namespace BayesianRouter.Data;

/// <summary>
/// A preference pair: a prompt, two responses, the ground truth where known, and the recorded judgments of
/// reward models. One line of a pair file (see README, "The pair file").
/// </summary>
public sealed record PreferencePair
{
    public required string Id { get; init; }

    /// <summary>Pairs that share a prompt share a group; splits never separate a group.</summary>
    public required string Group { get; init; }

    public required string Prompt { get; init; }
    public string ResponseA { get; init; } = "";
    public string ResponseB { get; init; } = "";

    /// <summary>The ground truth (A or B) where known; never Tie.</summary>
    public Preference? Preferred { get; init; }

    public string? Domain { get; init; }

    public IReadOnlyDictionary<string, Judgment> Judgments { get; init; } =
        new Dictionary<string, Judgment>(StringComparer.Ordinal);

    /// <summary>What live routing decided for the pair (<c>bayesrouter label</c>); null when it was not routed.</summary>
    public RoutingRecord? Routing { get; init; }

    /// <summary>
    /// The paper's behaviour label delta: true when RM <paramref name="rm"/> strictly prefers the preferred
    /// response. A tie, a missing judgment or an unknown ground truth is not right.
    /// </summary>
    public bool IsRight(string rm) =>
        Preferred is { } truth && Judgments.TryGetValue(rm, out var j) && j.Prefers() == truth;

    /// <summary>True when the RM's judgment on this pair is a tie.</summary>
    public bool IsTie(string rm) => Judgments.TryGetValue(rm, out var j) && j.Prefers() == Preference.Tie;

    /// <summary>The default group of a prompt: a stable hash of its text.</summary>
    public static string GroupOf(string prompt) => StableHash.Hex(prompt, 16);
}
