using BayesianRouter.Rewards;
using BayesianRouter.Routing;

namespace BayesianRouter.Live;

/// <summary>Options of a <see cref="RoutingSession"/> beyond its <see cref="RouterSetup"/>.</summary>
public sealed record RoutingSessionOptions
{
    /// <summary>
    /// How the logged choice probability of the Thompson-sampling decision is computed. 0 (the default): exactly, as a
    /// one-dimensional integral to a relative error of 1e-10 (<see cref="NormalArgmax"/>). M &gt; 0: the Monte-Carlo
    /// estimate of releases before 0.2, (hits + 1) / (M + 1), kept to compare against; its error is about
    /// sqrt(p (1 - p) / M) and, by the +1s, it overstates the probability of an arm rarely chosen (p &lt; 1 / M), which
    /// biases inverse-propensity estimates (docs/ope.md). The draws come from a stream of their own, so they never
    /// change a decision.
    /// </summary>
    public int MonteCarloDraws { get; init; }

    /// <summary>
    /// epsilon in [0, 1): with this probability a pair goes to an RM drawn uniformly instead of the Thompson choice,
    /// so every RM keeps a choice probability of at least epsilon / N (exact): what off-policy evaluation of other
    /// policies needs to be reliable. 0 = the paper (pure Thompson sampling).
    /// </summary>
    public double Exploration { get; init; }

    /// <summary>The 20/80 quantile rescaling of batch-centred DPO losses (appendix B).</summary>
    public QuantileNormaliserOptions Rewards { get; init; } = new();

    /// <summary>Cost of one call per RM, in the pool's arm order (the pool file's <c>cost</c>); null = 1 each.</summary>
    public IReadOnlyList<double>? Costs { get; init; }

    /// <summary>
    /// B, the mean cost per pair (the pool file's <c>budget</c>); null = no budget (the paper's router). With a budget the
    /// session routes as <see cref="Routing.CostAwareRouter"/> does (docs/cost-aware-routing.md).
    /// </summary>
    public double? Budget { get; init; }

    /// <summary>
    /// kappa, the relative step of the budget's price: eta = kappa x (range of the first batch's prior scores) / c_max.
    /// The starting price is the offline dual of the first routed batch's prior scores (no labels needed).
    /// </summary>
    public double BudgetStep { get; init; } = 0.01;

    /// <summary>The pacer's options for a pool of <paramref name="arms"/> RMs (price and step are set at the first batch).</summary>
    internal (double[] Costs, BudgetOptions Options) BudgetFor(int arms)
    {
        var costs = Costs?.ToArray() ?? Enumerable.Repeat(1.0, arms).ToArray();
        if (costs.Length != arms) throw new ArgumentException($"{costs.Length} RM costs for a pool of {arms} RMs");
        var options = new BudgetOptions { Budget = Budget };
        options.Validate(costs);
        return (costs, options);
    }

    internal void Validate()
    {
        if (!(BudgetStep >= 0) || !double.IsFinite(BudgetStep)) throw new ArgumentException($"the budget's price step must be a finite number >= 0 (got {BudgetStep})");
        if (MonteCarloDraws < 0) throw new ArgumentException($"Monte-Carlo draws must be 0 (exact choice probabilities) or more (got {MonteCarloDraws})");
        if (!(Exploration >= 0 && Exploration < 1)) throw new ArgumentException($"exploration must lie in [0, 1) (got {Exploration})");
    }
}

/// <summary>A session whose decision log could not be written: it accepts no more work; restart it (the log holds
/// everything that was acknowledged).</summary>
public sealed class SessionFaultedException(string message, Exception inner) : InvalidOperationException(message, inner);

/// <summary>Where a session stands: totals and per-RM counts.</summary>
public sealed record SessionStatistics(IReadOnlyList<string> Pool, long Decisions, long Feedback, long Unlabelled,
    IReadOnlyList<RmStatistics> Rms);

/// <summary>
/// One RM's counts: decisions routed to it (chosen), pairs it labelled (chosen or as a fallback), feedback items
/// it learned from, and the mean shaped reward of that feedback (null before any).
/// </summary>
public sealed record RmStatistics(string Rm, long Chosen, long Labelled, long Feedback, double? MeanReward);

/// <summary>
/// Where the session's spending stands: the budget (null = none), the total spent (every RM call, fallbacks included),
/// the part spent on fallback calls, the pairs routed, the mean cost per pair and the budget's current price.
/// </summary>
public sealed record BudgetStatus(double? Budget, double Spend, double FallbackSpend, long Pairs, double MeanCost, double Price);
