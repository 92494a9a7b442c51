using BayesianRouter.Routing;
namespace BayesianRouter.Baselines;

/// <summary>The single-RM baseline: every pair goes to one fixed arm; probability 1.</summary>
public sealed class FixedRouter : RouterBase
{
    /// <param name="arms">Pool size.</param>
    /// <param name="arm">The arm that labels every pair.</param>
    /// <param name="dimension">Context length to check (0 = accept contexts of any length: features are ignored).</param>
    public FixedRouter(int arms, int arm, int dimension = 0) : base(arms, dimension)
    {
        if (arm < 0 || arm >= arms) throw new ArgumentOutOfRangeException(nameof(arm), arm, $"arm must be in 0..{arms - 1}");
        Arm = arm;
    }

    public int Arm { get; }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts) =>
        Enumerable.Repeat(new RoutingDecision(Arm, 1.0), contexts.Count).ToArray();
}
