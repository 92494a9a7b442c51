using BayesianRouter.Routing;
using System.Globalization;
using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>
/// A budget-matched mixture of two RMs: a share q of the pairs goes to <see cref="High"/>, the rest to <see cref="Low"/>,
/// ignoring the pairs' features. The high-cost pairs are spread evenly (systematic sampling): pair t goes high when
/// floor(t q) &gt; floor((t - 1) q), so after any t pairs floor(t q) of them went high and the running cost never exceeds
/// the mixture's mean cost (the budget) while staying within one pair's worth of it. Which pairs those are is as random
/// as the stream's order (a seeded shuffle in the simulation). The best mixture for a budget (<see cref="Best"/>) is the
/// linear programme over the RMs' mean accuracies: a point of the upper concave hull of (cost, accuracy), i.e. at most
/// two RMs.
/// </summary>
public sealed class MixtureRouter : RouterBase, ICheckpointable
{
    private long _pairs;

    public MixtureRouter(int arms, int low, int high, double share, int dimension = 0) : base(arms, dimension)
    {
        if (low < 0 || low >= arms) throw new ArgumentOutOfRangeException(nameof(low), low, $"arm must be in 0..{arms - 1}");
        if (high < 0 || high >= arms) throw new ArgumentOutOfRangeException(nameof(high), high, $"arm must be in 0..{arms - 1}");
        if (!(share >= 0 && share <= 1)) throw new ArgumentOutOfRangeException(nameof(share), share, "a share lies in [0, 1]");
        (Low, High, Share) = (low, high, share);
    }

    public int Low { get; }
    public int High { get; }

    /// <summary>q: the share of pairs that go to <see cref="High"/>.</summary>
    public double Share { get; }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++)
        {
            long t = ++_pairs;
            bool high = Math.Floor(t * Share) > Math.Floor((t - 1) * Share);
            decisions[p] = new RoutingDecision(high ? High : Low, high ? Share : 1 - Share);
        }
        return decisions;
    }

    /// <summary>
    /// The mixture with the highest expected accuracy whose expected cost per pair is at most <paramref name="budget"/>:
    /// max sum_n p_n acc_n s.t. sum_n p_n c_n &lt;= B, p a distribution. An optimum uses one RM (the most accurate that fits,
    /// when the budget is slack) or two RMs whose costs straddle B, mixed so the cost is exactly B.
    /// </summary>
    public static (int Low, int High, double Share, double Accuracy) Best(IReadOnlyList<double> accuracies, IReadOnlyList<double> costs, double budget)
    {
        if (accuracies.Count != costs.Count || costs.Count == 0) throw new ArgumentException("one accuracy and one cost per arm");
        new BudgetOptions { Budget = budget }.Validate(costs);
        (int Low, int High, double Share, double Accuracy)? best = null;
        void Consider(int lo, int hi, double q)
        {
            double acc = (1 - q) * accuracies[lo] + q * accuracies[hi];
            if (best == null || acc > best.Value.Accuracy + 1e-12) best = (lo, hi, q, acc);
        }
        for (int i = 0; i < costs.Count; i++)
            if (costs[i] <= budget) Consider(i, i, 0);
        for (int i = 0; i < costs.Count; i++)
            for (int j = 0; j < costs.Count; j++)
                if (costs[i] <= budget && costs[j] > budget)
                    Consider(i, j, (budget - costs[i]) / (costs[j] - costs[i]));
        return best!.Value;
    }

    public string StateKind => "mixture";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        w.Write(Low);
        w.Write(High);
        w.Write(Share);
        w.Write(_pairs);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Arms, "arms");
        r.ReadExpected(Low, "low arm");
        r.ReadExpected(High, "high arm");
        r.ReadExpected(Share, "share");
        long pairs = r.ReadInt64();
        if (pairs < 0) throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"mixture pair count {pairs} is negative"));
        return () => _pairs = pairs;
    }
}
