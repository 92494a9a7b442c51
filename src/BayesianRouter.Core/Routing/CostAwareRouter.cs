using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// The cost-aware BayesianRouter: any Thompson-sampling router (its offline prior and posterior kept as they are)
/// whose draws are spent under a budget by a <see cref="BudgetPacer"/>. For every pair it takes the wrapped router's
/// sampled accuracies (<see cref="IThompsonRouter.SampleScores"/>, the very draws its <c>Select</c> would take the argmax
/// of) and chooses the RM with the best sampled accuracy minus price x cost among those the budget affords; feedback
/// goes to the wrapped router unchanged. Without a budget (<see cref="BudgetOptions.Unlimited"/>), and whenever every
/// RM fits the budget and the price starts at 0, it makes exactly the wrapped router's decisions for the same seed.
/// <code>
///   var inner = new BayesianRouterFactory(offline).Create(seed: 1);
///   var router = new CostAwareRouter((IThompsonRouter)inner, costs, new BudgetOptions { Budget = 5, InitialPrice = lambda0, StepSize = eta });
/// </code>
/// </summary>
public sealed class CostAwareRouter : RouterBase, ICheckpointable
{
    public CostAwareRouter(IThompsonRouter inner, IReadOnlyList<double> costs, BudgetOptions? options = null)
        : base(inner?.Arms ?? throw new ArgumentNullException(nameof(inner)), inner.Dimension)
    {
        if (costs.Count != inner.Arms) throw new ArgumentException($"{costs.Count} costs for a router of {inner.Arms} arms");
        Inner = inner;
        Pacer = new BudgetPacer(costs, options);
    }

    /// <summary>
    /// The cost-aware router of <paramref name="router"/> under <paramref name="options"/>: an anchored router
    /// (<see cref="AnchoredThompsonRouter"/>, the bayesian-router's default) is first re-anchored on the best RM the
    /// budget affords (<see cref="AnchoredThompsonRouter.Affordable"/>: do no harm under a budget), any other router is
    /// wrapped as it is. Without a budget the router's decisions are unchanged.
    /// </summary>
    public static CostAwareRouter Create(IThompsonRouter router, IReadOnlyList<double> costs, BudgetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        return new CostAwareRouter(AnchoredThompsonRouter.UnderBudget(router, costs, options?.Budget), costs, options);
    }

    /// <summary>The wrapped Thompson-sampling router (it learns from every update).</summary>
    public IThompsonRouter Inner { get; }

    /// <summary>The budget's state: price, spend, pairs.</summary>
    public BudgetPacer Pacer { get; }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var scores = Inner.SampleScores(contexts);
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++) decisions[p] = new RoutingDecision(Pacer.Choose(scores[p]), double.NaN);
        return decisions;
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback) => Inner.Update(feedback);

    /// <summary>Spend no routing decision made (fallback or feedback calls): see <see cref="BudgetPacer.Charge"/>.</summary>
    public void Charge(double cost) => Pacer.Charge(cost);

    public string StateKind => "cost-aware-router";
    public int StateVersion => 1;

    /// <summary>The wrapped router's section (kind, version, payload), then the pacer's.</summary>
    public void WriteState(BinaryWriter w)
    {
        var inner = InnerState;
        w.Write(inner.StateKind);
        w.Write(inner.StateVersion);
        inner.WriteState(w);
        Pacer.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        if (version != StateVersion) throw new InvalidDataException($"cost-aware router state version {version} is not supported");
        var inner = InnerState;
        string kind = r.ReadString();
        int innerVersion = r.ReadInt32();
        if (kind != inner.StateKind) throw new InvalidDataException($"the checkpoint wraps a '{kind}' router, this one wraps a '{inner.StateKind}' router");
        if (innerVersion < 1 || innerVersion > inner.StateVersion)
            throw new InvalidDataException($"'{kind}' state version {innerVersion} is not supported (this build reads up to {inner.StateVersion})");
        var installInner = inner.ReadState(r, innerVersion);
        var installPacer = Pacer.ReadState(r, Pacer.StateVersion);
        return () =>
        {
            installInner();
            installPacer();
        };
    }

    private ICheckpointable InnerState => Inner as ICheckpointable
        ?? throw new InvalidOperationException($"the wrapped router ({Inner.GetType().Name}) cannot save its state");
}
