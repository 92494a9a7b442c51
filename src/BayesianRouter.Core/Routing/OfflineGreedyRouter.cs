namespace BayesianRouter.Routing;

/// <summary>
/// The offline-only baseline ("w/o online"): argmax over arms of a fixed score function of the context, e.g. the
/// offline router's Bradley-Terry scores <c>offline.BtScores</c>; lowest index on ties; no learning; probability 1.
/// </summary>
public sealed class OfflineGreedyRouter : RouterBase
{
    private readonly Func<double[], double[]> _scores;

    /// <param name="arms">Pool size.</param>
    /// <param name="dimension">Context length (0 = not checked).</param>
    /// <param name="scores">One finite score per arm for a context.</param>
    public OfflineGreedyRouter(int arms, int dimension, Func<double[], double[]> scores) : base(arms, dimension)
    {
        _scores = scores ?? throw new ArgumentNullException(nameof(scores));
    }

    /// <summary>Argmax of <c>offline.BtScores(h)</c>: the offline router's choice.</summary>
    public static OfflineGreedyRouter FromOffline(Offline.OfflineRouter offline) =>
        new(offline.Pool.Count, offline.FeatureDimension, offline.BtScores);

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++)
            decisions[p] = new RoutingDecision(ArgMax(CheckScores(_scores(contexts[p]), Arms, "the score function")), 1.0);
        return decisions;
    }
}
