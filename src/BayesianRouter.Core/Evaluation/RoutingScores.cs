namespace BayesianRouter.Evaluation;

/// <summary>
/// Routing accuracies on one set of pairs (one cell column of the paper's Table 2): each router's choice, each
/// single RM of the pool, majority vote (a tied vote counts half), random routing (the expected accuracy of a
/// uniformly random RM: the mean over RMs) and the oracle (some pool RM is right). Accuracies lie in [0, 1];
/// NaN when <see cref="Pairs"/> is 0.
/// </summary>
public sealed record RoutingScores(
    int Pairs,
    IReadOnlyDictionary<string, double> Routers,
    IReadOnlyDictionary<string, double> Single,
    double Majority,
    double Random,
    double Oracle)
{
    /// <summary>The best single RM on these pairs (chosen with hindsight) and its accuracy.</summary>
    public (string Rm, double Accuracy) BestSingle
    {
        get
        {
            if (Single.Count == 0) return ("", double.NaN);
            var best = Single.MaxBy(kv => kv.Value);
            return (best.Key, best.Value);
        }
    }
}

/// <summary>Scores over all pairs of a set and per domain (pairs without a domain under <see cref="RoutingTable.NoDomain"/>).</summary>
public sealed record RoutingTable(RoutingScores All, IReadOnlyDictionary<string, RoutingScores> ByDomain)
{
    public const string NoDomain = "(none)";
}

/// <summary>
/// The evaluation of routers on labelled pairs: <see cref="Filtered"/> keeps the pairs where at least one pool RM
/// is right (the paper's filter, so the oracle scores 1); <see cref="Unfiltered"/> keeps every pair with a known
/// ground truth.
/// </summary>
public sealed record RoutingReport(IReadOnlyList<string> Pool, RoutingTable Filtered, RoutingTable Unfiltered)
{
    public int PairsFiltered => Filtered.All.Pairs;
    public int Pairs => Unfiltered.All.Pairs;
}
