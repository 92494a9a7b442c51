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
    private BudgetQuote? _unlimited;

    public BudgetPacer(IReadOnlyList<double> costs, BudgetOptions? options = null)
    {
        Options = options ?? BudgetOptions.Unlimited;
        Options.Validate(costs);
        _costs = costs.ToArray();
        double max = _costs.Max();
        _costScale = max > 0 ? max : 1;
        _cheapest = BudgetOptions.Cheapest(_costs);
        Price = Options.Budget is null ? 0 : Options.InitialPrice;
        StepSize = Options.StepSize;
    }

    public BudgetOptions Options { get; }

    /// <summary>Cost of one call per arm.</summary>
    public IReadOnlyList<double> Costs => _costs;

    public int Arms => _costs.Length;

    /// <summary>lambda: what one cost unit is worth in the router's score units now (0 without a budget).</summary>
    public double Price { get; private set; }

    /// <summary>eta: the price step (from the options, or set by <see cref="Start"/>).</summary>
    public double StepSize { get; private set; }

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

    /// <summary>What the next pair may buy: the current price and which arms the spending rule affords.</summary>
    public BudgetQuote Quote()
    {
        if (Options.Budget is null) return _unlimited ??= new BudgetQuote(0, _costs, Enumerable.Repeat(true, _costs.Length).ToArray(), unlimited: true);
        var affordable = new bool[_costs.Length];
        double limit = Options.Budget.Value * (Pairs + 1) + Options.Overdraft;
        double slack = 1e-9 * Math.Max(1, Math.Abs(limit)); // the spend is a running sum of doubles
        for (int n = 0; n < _costs.Length; n++) affordable[n] = Spend + _costs[n] <= limit + slack;
        return new BudgetQuote(Price, _costs, affordable, unlimited: false);
    }

    /// <summary>
    /// Chooses the arm for the next pair from its sampled scores (one per arm), charges its cost and updates the price.
    /// <paramref name="explored"/>, when given, is taken instead of the priced choice (an exploration draw: it must be
    /// affordable, see <see cref="Quote"/>); the price still moves by what the price alone would have bought.
    /// </summary>
    public int Choose(ReadOnlySpan<double> sampled, int? explored = null)
    {
        if (sampled.Length != _costs.Length) throw new ArgumentException($"{sampled.Length} sampled scores for {_costs.Length} arms");
        for (int n = 0; n < sampled.Length; n++)
            if (!double.IsFinite(sampled[n])) throw new ArgumentException($"sampled score of arm {n} is not finite ({sampled[n]})");
        var quote = Quote();
        if (explored is { } e && (e < 0 || e >= _costs.Length || !quote.IsAffordable(e)))
            throw new ArgumentException($"arm {e} is not an affordable arm for the next pair");
        if (Options.Budget is not { } budget)
        {
            int free = explored ?? RouterBase.ArgMax(sampled);
            Record(free);
            return free;
        }
        int wanted = -1, arm = -1;
        double wantedValue = 0, armValue = 0;
        for (int n = 0; n < _costs.Length; n++)
        {
            double v = sampled[n] - Price * _costs[n];
            if (wanted < 0 || v > wantedValue) (wanted, wantedValue) = (n, v);
            if (quote.IsAffordable(n) && (arm < 0 || v > armValue)) (arm, armValue) = (n, v);
        }
        // Nothing affordable only after Charge() pushed the spend past the limit: the cheapest RM repays fastest.
        if (arm < 0) arm = _cheapest;
        arm = explored ?? arm;
        Record(arm);
        Price = Math.Max(0, Price + StepSize * (_costs[wanted] - budget) / _costScale);
        return arm;
    }

    /// <summary>
    /// Sets the starting price and the step before the first pair (e.g. from the first batch's prior scores, when no
    /// held-out data chose them: <see cref="OfflinePrice"/> and <see cref="ScoreRange"/>).
    /// </summary>
    public void Start(double price, double step)
    {
        if (Pairs != 0 || Spend != 0) throw new InvalidOperationException("the price can only be set before the first pair");
        if (!(price >= 0) || !double.IsFinite(price) || !(step >= 0) || !double.IsFinite(step))
            throw new ArgumentException($"price {price} and step {step} must be finite numbers >= 0");
        if (Options.Budget is null) return;
        (Price, StepSize) = (price, step);
    }

    /// <summary>The dynamic state (price, step, spend, pairs), without the configuration it was made under.</summary>
    public BudgetProgress Progress => new(Price, StepSize, Spend, Charged, Pairs);

    /// <summary>
    /// Continues from a saved <see cref="Progress"/> (a live session restarting, perhaps with another budget or costs:
    /// what was spent stays spent and counts against the new budget).
    /// </summary>
    public void Resume(BudgetProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        progress.Validate();
        (Price, StepSize, Spend, Charged, Pairs) = Options.Budget is null
            ? (0, progress.StepSize, progress.Spend, progress.Charged, progress.Pairs)
            : (progress.Price, progress.StepSize, progress.Spend, progress.Charged, progress.Pairs);
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
        Progress.Write(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        if (version != StateVersion) throw new InvalidDataException($"budget pacer state version {version} is not supported");
        var costs = r.ReadArray(_costs.Length, "costs");
        if (!costs.AsSpan().SequenceEqual(_costs))
            throw new InvalidDataException($"the checkpoint's RM costs ({Join(costs)}) are not this pool's ({Join(_costs)})");
        r.ReadExpected(Options.Budget ?? double.NaN, "budget");
        r.ReadExpected(Options.Overdraft, "overdraft");
        var progress = BudgetProgress.Read(r);
        return () => Resume(progress);
    }

    private static string Join(double[] a) => string.Join(",", a.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)));
}

/// <summary>
/// What the next pair may buy (<see cref="BudgetPacer.Quote"/>): the price lambda and the arms the spending rule affords.
/// A Thompson policy under a budget ranks arms by s_n - lambda c_n among the affordable ones; <see cref="Apply"/> maps a
/// score vector that way (for Monte-Carlo choice probabilities), <see cref="FallbackOrder"/> orders the arms to try when
/// the chosen RM fails. Without a budget both are the plain scores' (nothing changes).
/// </summary>
public sealed class BudgetQuote
{
    private readonly IReadOnlyList<double> _costs;
    private readonly bool[] _affordable;

    internal BudgetQuote(double price, IReadOnlyList<double> costs, bool[] affordable, bool unlimited)
    {
        (Price, _costs, _affordable, Unlimited) = (price, costs, affordable, unlimited);
        AffordableArms = Enumerable.Range(0, affordable.Length).Where(n => affordable[n]).ToArray();
    }

    public double Price { get; }

    /// <summary>True without a budget: every arm affordable, no price.</summary>
    public bool Unlimited { get; }

    /// <summary>The affordable arms in index order (never empty while the budget holds; see <see cref="BudgetPacer.Charge"/>).</summary>
    public IReadOnlyList<int> AffordableArms { get; }

    public bool IsAffordable(int arm) => _affordable[arm];

    /// <summary>scores[n] - lambda c_n for affordable arms, negative infinity for the others (in place).</summary>
    public void Apply(Span<double> scores)
    {
        for (int n = 0; n < scores.Length; n++) scores[n] = _affordable[n] ? scores[n] - Price * _costs[n] : double.NegativeInfinity;
    }

    /// <summary>The chosen arm, then the affordable arms by priced score (best first), then the others by priced score; lowest index on ties.</summary>
    public int[] FallbackOrder(int chosen, IReadOnlyList<double> scores)
    {
        var rest = Enumerable.Range(0, scores.Count).Where(n => n != chosen)
            .OrderBy(n => _affordable[n] ? 0 : 1).ThenByDescending(n => scores[n] - Price * _costs[n]).ThenBy(n => n);
        return [chosen, .. rest];
    }
}

/// <summary>A <see cref="BudgetPacer"/>'s dynamic state: price, step, spend (fallback charges included), charged, pairs.</summary>
public sealed record BudgetProgress(double Price, double StepSize, double Spend, double Charged, long Pairs)
{
    public void Write(BinaryWriter w)
    {
        w.Write(Price);
        w.Write(StepSize);
        w.Write(Spend);
        w.Write(Charged);
        w.Write(Pairs);
    }

    public static BudgetProgress Read(BinaryReader r)
    {
        var p = new BudgetProgress(r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadInt64());
        p.Validate();
        return p;
    }

    internal void Validate()
    {
        foreach (var v in new[] { Price, StepSize, Spend, Charged })
            if (!(v >= 0) || !double.IsFinite(v))
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"budget state out of range (price {Price}, step {StepSize}, spend {Spend}, charged {Charged}, pairs {Pairs})"));
        if (Charged > Spend || Pairs < 0)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"budget state out of range (spend {Spend}, charged {Charged}, pairs {Pairs})"));
    }
}
