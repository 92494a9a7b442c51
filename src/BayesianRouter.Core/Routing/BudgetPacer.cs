using System.Globalization;
using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// Spends a budget over a stream of pairs (docs/cost-aware-routing.md). For each pair it gets every RM's sampled
/// accuracy s_n (a Thompson draw of the router) and picks
/// <code>
///   a_t = argmax over affordable n of  s_n - lambda_t c_n,     affordable: spend_{t-1} + c_n &lt;= B t + R
///   lambda_{t+1} = max(0, lambda_t + eta (c_{n*} - B) / c_max),    n* = argmax over all n of s_n - lambda_t c_n
/// </code>
/// The price lambda is the Lagrange multiplier of the constraint "mean cost &lt;= B", learned online by projected dual
/// subgradient descent (Balseiro, Lu and Mirrokni 2020, "dual mirror descent for online allocation", Euclidean mirror
/// map; Agrawal and Devanur 2016 for the contextual bandit with knapsacks): it rises while the price-optimal choices
/// cost more than B and falls while they cost less. The spending rule enforces the budget by construction at selection
/// time, pair by pair, also inside a batch whose feedback has not arrived: the running total never exceeds B t + R
/// (R = <see cref="BudgetOptions.Overdraft"/>, default 0), except through <see cref="Charge"/> (fallback calls after a
/// failed RM call), which later pairs repay. The cheapest RM is always affordable while the budget holds (B &gt;= c_min),
/// so the rule never leaves a pair unlabelled. Without a budget it picks argmax s_n (the wrapped router's own choice,
/// lowest index on ties) and only counts the spend.
/// </summary>
public sealed class BudgetPacer : ICheckpointable
{
    private readonly double[] _costs;
    private readonly double _costScale;
    private readonly int _cheapest;

    public BudgetPacer(IReadOnlyList<double> costs, BudgetOptions? options = null)
    {
        Options = options ?? BudgetOptions.Unlimited;
        Options.Validate(costs);
        _costs = costs.ToArray();
        double max = _costs.Max();
        _costScale = max > 0 ? max : 1;
        _cheapest = BudgetOptions.Cheapest(_costs);
        Price = Options.Budget is null ? 0 : Options.InitialPrice;
    }

    public BudgetOptions Options { get; }

    /// <summary>Cost of one call per arm.</summary>
    public IReadOnlyList<double> Costs => _costs;

    public int Arms => _costs.Length;

    /// <summary>lambda: what one cost unit is worth in the router's score units now (0 without a budget).</summary>
    public double Price { get; private set; }

    /// <summary>Everything spent so far: the chosen RMs' costs plus <see cref="Charged"/>.</summary>
    public double Spend { get; private set; }

    /// <summary>The part of <see cref="Spend"/> that came through <see cref="Charge"/> (fallback calls).</summary>
    public double Charged { get; private set; }

    /// <summary>Pairs routed so far.</summary>
    public long Pairs { get; private set; }

    /// <summary>Realised mean cost per pair (0 before the first pair).</summary>
    public double MeanCost => Pairs == 0 ? 0 : Spend / Pairs;

    /// <summary>The most the pacer lets the total reach after <paramref name="pairs"/> pairs: B t + R (infinite without a budget).</summary>
    public double Allowance(long pairs) => Options.Budget is { } b ? b * pairs + Options.Overdraft : double.PositiveInfinity;

    /// <summary>
    /// Chooses the arm for the next pair from its sampled scores (one per arm), charges its cost and updates the price.
    /// </summary>
    public int Choose(ReadOnlySpan<double> sampled)
    {
        if (sampled.Length != _costs.Length) throw new ArgumentException($"{sampled.Length} sampled scores for {_costs.Length} arms");
        for (int n = 0; n < sampled.Length; n++)
            if (!double.IsFinite(sampled[n])) throw new ArgumentException($"sampled score of arm {n} is not finite ({sampled[n]})");
        if (Options.Budget is not { } budget)
        {
            int free = RouterBase.ArgMax(sampled);
            Record(free);
            return free;
        }
        long t = Pairs + 1;
        double limit = budget * t + Options.Overdraft;
        double slack = 1e-9 * Math.Max(1, Math.Abs(limit)); // the spend is a running sum of doubles
        int wanted = -1, arm = -1;
        double wantedValue = 0, armValue = 0;
        for (int n = 0; n < _costs.Length; n++)
        {
            double v = sampled[n] - Price * _costs[n];
            if (wanted < 0 || v > wantedValue) (wanted, wantedValue) = (n, v);
            if (Spend + _costs[n] <= limit + slack && (arm < 0 || v > armValue)) (arm, armValue) = (n, v);
        }
        // Nothing affordable only after Charge() pushed the spend past the limit: the cheapest RM repays fastest.
        if (arm < 0) arm = _cheapest;
        Record(arm);
        Price = Math.Max(0, Price + Options.StepSize * (_costs[wanted] - budget) / _costScale);
        return arm;
    }

    private void Record(int arm)
    {
        Spend += _costs[arm];
        Pairs++;
    }

    /// <summary>
    /// Adds spend that no routing decision made (an RM called as a fallback after a failed call, or for feedback): it
    /// counts in <see cref="Spend"/> and raises the price like any consumption; later pairs repay it.
    /// </summary>
    public void Charge(double cost)
    {
        if (!(cost >= 0) || !double.IsFinite(cost)) throw new ArgumentException($"a charge must be a finite number >= 0 (got {cost})");
        Spend += cost;
        Charged += cost;
        if (Options.Budget is not null) Price = Math.Max(0, Price + Options.StepSize * cost / _costScale);
    }

    /// <summary>
    /// The offline price: the smallest lambda &gt;= 0 at which choosing argmax_n (s_n - lambda c_n) for every pair of
    /// <paramref name="scores"/> ([pair][arm], e.g. the router's prior means on held-out pairs) costs at most B on
    /// average. It minimises the dual of the linear programme "max mean score s.t. mean cost &lt;= B" over those pairs
    /// (Agrawal and Devanur 2016 estimate their multiplier scale the same way from a first phase). 0 when the
    /// unpriced choices already fit.
    /// </summary>
    public static double OfflinePrice(IReadOnlyList<double[]> scores, IReadOnlyList<double> costs, double budget)
    {
        ArgumentNullException.ThrowIfNull(scores);
        new BudgetOptions { Budget = budget }.Validate(costs);
        if (scores.Count == 0 || MeanCostAt(scores, costs, 0) <= budget) return 0;
        int cheapest = BudgetOptions.Cheapest(costs);
        double hi = 0;
        foreach (var s in scores)
            for (int n = 0; n < costs.Count; n++)
                if (costs[n] > costs[cheapest]) hi = Math.Max(hi, (s[n] - s[cheapest]) / (costs[n] - costs[cheapest]));
        hi = hi * (1 + 1e-9) + 1e-12; // at hi every pair's choice costs the least it can
        double lo = 0;
        for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (MeanCostAt(scores, costs, mid) <= budget) hi = mid;
            else lo = mid;
        }
        return hi;
    }

    /// <summary>Mean cost of argmax_n (s_n - lambda c_n) over the pairs.</summary>
    public static double MeanCostAt(IReadOnlyList<double[]> scores, IReadOnlyList<double> costs, double price)
    {
        double total = 0;
        foreach (var s in scores)
        {
            int best = 0;
            for (int n = 1; n < costs.Count; n++)
                if (s[n] - price * costs[n] > s[best] - price * costs[best]) best = n;
            total += costs[best];
        }
        return scores.Count == 0 ? 0 : total / scores.Count;
    }

    /// <summary>Mean over the pairs of (highest score - lowest score): the scale in which a price step is measured.</summary>
    public static double ScoreRange(IReadOnlyList<double[]> scores) =>
        scores.Count == 0 ? 0 : scores.Average(s => s.Max() - s.Min());

    public string StateKind => "budget-pacer";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.WriteArray(_costs);
        w.Write(Options.Budget ?? double.NaN);
        w.Write(Options.Overdraft);
        w.Write(Options.StepSize);
        w.Write(Price);
        w.Write(Spend);
        w.Write(Charged);
        w.Write(Pairs);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        if (version != StateVersion) throw new InvalidDataException($"budget pacer state version {version} is not supported");
        var costs = r.ReadArray(_costs.Length, "costs");
        if (!costs.AsSpan().SequenceEqual(_costs))
            throw new InvalidDataException($"the checkpoint's RM costs ({Join(costs)}) are not this pool's ({Join(_costs)})");
        r.ReadExpected(Options.Budget ?? double.NaN, "budget");
        r.ReadExpected(Options.Overdraft, "overdraft");
        r.ReadDouble(); // the step: a resumed run may change it
        double price = r.ReadDouble(), spend = r.ReadDouble(), charged = r.ReadDouble();
        long pairs = r.ReadInt64();
        if (!(price >= 0) || !double.IsFinite(price) || !(spend >= 0) || !double.IsFinite(spend) || !(charged >= 0) || charged > spend || pairs < 0)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"budget state out of range (price {price}, spend {spend}, charged {charged}, pairs {pairs})"));
        return () => (Price, Spend, Charged, Pairs) = (price, spend, charged, pairs);
    }

    private static string Join(double[] a) => string.Join(",", a.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)));
}
