using BayesianRouter.Routing;
namespace BayesianRouter.Baselines;

/// <summary>
/// A RouteLLM-style two-RM threshold router (Ong et al. 2024): the cheap RM by default, the expensive one when the
/// offline router's margin for the cheap RM, m(h) = s_cheap(h) - s_expensive(h) (its Bradley-Terry scores: the log-odds
/// that the cheap RM is the better labeller of the pair), falls below a threshold. The threshold is set so that a
/// chosen share of pairs goes to the expensive RM (<see cref="ThresholdFor"/>; the share that meets a budget is
/// <see cref="ShareFor"/>) on held-out pairs; no learning, probability 1.
/// </summary>
public sealed class ThresholdRouter : RouterBase
{
    private readonly Func<double[], double[]> _scores;

    /// <param name="arms">Pool size.</param>
    /// <param name="dimension">Context length (0 = not checked).</param>
    /// <param name="scores">The offline router's score per arm for a context.</param>
    /// <param name="cheap">The default arm.</param>
    /// <param name="expensive">The arm for pairs whose margin is below <paramref name="threshold"/>.</param>
    /// <param name="threshold">tau; negative infinity = never the expensive arm, positive infinity = always.</param>
    public ThresholdRouter(int arms, int dimension, Func<double[], double[]> scores, int cheap, int expensive, double threshold)
        : base(arms, dimension)
    {
        _scores = scores ?? throw new ArgumentNullException(nameof(scores));
        if (cheap < 0 || cheap >= arms) throw new ArgumentOutOfRangeException(nameof(cheap), cheap, $"arm must be in 0..{arms - 1}");
        if (expensive < 0 || expensive >= arms) throw new ArgumentOutOfRangeException(nameof(expensive), expensive, $"arm must be in 0..{arms - 1}");
        if (double.IsNaN(threshold)) throw new ArgumentException("the threshold is NaN");
        (Cheap, Expensive, Threshold) = (cheap, expensive, threshold);
    }

    public int Cheap { get; }
    public int Expensive { get; }
    public double Threshold { get; }

    /// <summary>m(h) = s_cheap(h) - s_expensive(h).</summary>
    public static double Margin(double[] scores, int cheap, int expensive) => scores[cheap] - scores[expensive];

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++)
        {
            var s = CheckScores(_scores(contexts[p]), Arms, "the score function");
            decisions[p] = new RoutingDecision(Margin(s, Cheap, Expensive) < Threshold ? Expensive : Cheap, 1.0);
        }
        return decisions;
    }

    /// <summary>
    /// The share of pairs the expensive RM may take for a mean cost of <paramref name="budget"/>:
    /// (B - c_cheap) / (c_expensive - c_cheap), clamped to [0, 1] (1 when the expensive RM fits the budget on its own).
    /// </summary>
    public static double ShareFor(double cheapCost, double expensiveCost, double budget)
    {
        if (expensiveCost <= budget) return 1;
        if (budget <= cheapCost) return 0;
        return Math.Clamp((budget - cheapCost) / (expensiveCost - cheapCost), 0, 1);
    }

    /// <summary>
    /// The threshold tau that sends at most <paramref name="share"/> of <paramref name="margins"/> (and as many as it
    /// can) to the expensive RM: the floor(share N)-th smallest margin (margins strictly below it go expensive).
    /// </summary>
    public static double ThresholdFor(IReadOnlyList<double> margins, double share)
    {
        if (!(share >= 0 && share <= 1)) throw new ArgumentOutOfRangeException(nameof(share), share, "a share lies in [0, 1]");
        if (margins.Count == 0) return share >= 1 ? double.PositiveInfinity : double.NegativeInfinity;
        var sorted = margins.Order().ToArray();
        int k = (int)Math.Floor(share * sorted.Length + 1e-9);
        return k >= sorted.Length ? double.PositiveInfinity : k == 0 ? double.NegativeInfinity : sorted[k];
    }
}
