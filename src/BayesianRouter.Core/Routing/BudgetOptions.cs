using System.Globalization;

namespace BayesianRouter.Routing;

/// <summary>
/// Options of <see cref="BudgetPacer"/> (and so of <see cref="CostAwareRouter"/>): the budget B (mean cost per pair the
/// user will pay; null = unlimited, the paper's router), the price lambda it starts from, the step of its online
/// update, and the overdraft R the hard spending rule allows (docs/cost-aware-routing.md).
/// </summary>
public sealed record BudgetOptions
{
    /// <summary>B: mean cost per pair; null = no budget (no price, no spending rule: the wrapped router's own choices).</summary>
    public double? Budget { get; init; }

    /// <summary>lambda_0: the price of one cost unit, in the router's score units, before any pair (e.g. <see cref="BudgetPacer.OfflinePrice"/>).</summary>
    public double InitialPrice { get; init; }

    /// <summary>
    /// eta: after each pair, lambda &lt;- max(0, lambda + eta (c* - B) / c_max), c* = the cost of the RM the price alone
    /// would choose (dual subgradient descent; Balseiro, Lu and Mirrokni 2020). 0 keeps lambda_0.
    /// </summary>
    public double StepSize { get; init; }

    /// <summary>
    /// R: an RM is affordable for pair t only while spend + its cost &lt;= B t + R. 0 (default): the running mean cost
    /// never exceeds B at any point of the stream; at most the most expensive RM's cost is allowed (the tolerance).
    /// </summary>
    public double Overdraft { get; init; }

    /// <summary>An unlimited budget: the wrapped router decides alone.</summary>
    public static BudgetOptions Unlimited { get; } = new();

    /// <summary>Checks the options against the pool's costs (one per arm, finite, &gt;= 0).</summary>
    public void Validate(IReadOnlyList<double> costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        if (costs.Count == 0) throw new ArgumentException("a budget needs the cost of at least one RM");
        for (int n = 0; n < costs.Count; n++)
            if (!(costs[n] >= 0) || !double.IsFinite(costs[n])) throw new ArgumentException($"the cost of arm {n} ({costs[n]}) must be a finite number >= 0");
        var inv = CultureInfo.InvariantCulture;
        if (Budget is { } b)
        {
            if (!(b >= 0) || !double.IsFinite(b)) throw new ArgumentException(string.Create(inv, $"budget {b}: must be a finite number >= 0 (cost per pair)"));
            int cheapest = Cheapest(costs);
            if (b < costs[cheapest])
                throw new ArgumentException(string.Create(inv,
                    $"budget {b} is below the cheapest RM's cost ({costs[cheapest]}, arm {cheapest}): no RM can label a pair within it"));
        }
        if (!(InitialPrice >= 0) || !double.IsFinite(InitialPrice)) throw new ArgumentException($"initial price {InitialPrice} must be a finite number >= 0");
        if (!(StepSize >= 0) || !double.IsFinite(StepSize)) throw new ArgumentException($"price step {StepSize} must be a finite number >= 0");
        if (!(Overdraft >= 0) || !double.IsFinite(Overdraft)) throw new ArgumentException($"overdraft {Overdraft} must be a finite number >= 0");
        if (Overdraft > costs.Max())
            throw new ArgumentException(string.Create(inv, $"overdraft {Overdraft} is more than one pair's worth (the most expensive RM costs {costs.Max()})"));
    }

    /// <summary>The arm with the lowest cost (lowest index on ties).</summary>
    public static int Cheapest(IReadOnlyList<double> costs)
    {
        int best = 0;
        for (int n = 1; n < costs.Count; n++) if (costs[n] < costs[best]) best = n;
        return best;
    }

    public override string ToString() => Budget is not { } b ? "unlimited" : string.Create(CultureInfo.InvariantCulture,
        $"budget {b:G4}, price lambda_0 {InitialPrice:G4}, step {StepSize:G3}, overdraft {Overdraft:G3}");
}
