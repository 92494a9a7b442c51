namespace BayesianRouter.Rewards;

/// <summary>
/// How far two rankings of one group's responses agree: the share of the group's response pairs (i &lt; j) that the two
/// score lists order the same way, a pair that either list ties counting one half. This is Kendall's (1 + tau) / 2 in
/// [0, 1] (tau-a with ties at one half): 1 when the rankings agree on every pair, 0 when they are reversed, 0.5 for
/// unrelated rankings. The reward endpoints' audit feeds it to the router as the reward of the group's decision
/// (docs/integrations.md).
/// </summary>
public static class RankAgreement
{
    /// <summary>The concordance of <paramref name="x"/> and <paramref name="y"/> (aligned); null with fewer than two items.</summary>
    /// <exception cref="ArgumentException">The lists differ in length or hold a non-finite value.</exception>
    public static double? Concordance(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} scores against {y.Count}");
        for (int i = 0; i < x.Count; i++)
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i])) throw new ArgumentException($"item {i}: scores must be finite ({x[i]}, {y[i]})");
        int n = x.Count;
        if (n < 2) return null;
        double agree = 0;
        long pairs = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                int a = Math.Sign(x[i] - x[j]), b = Math.Sign(y[i] - y[j]);
                agree += a == 0 || b == 0 ? 0.5 : a == b ? 1 : 0;
                pairs++;
            }
        return agree / pairs;
    }
}
