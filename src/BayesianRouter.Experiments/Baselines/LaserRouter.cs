using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>
/// LASER (Nguyen et al. 2024, arXiv 2410.01735): LinUCB that picks one arm for the whole batch. The batch's context
/// is the mean of its feature vectors; every pair of the batch gets the arm with the highest upper confidence bound
/// on that mean context. The update gives each arm that received feedback one observation: the mean context and
/// the mean reward of its feedback items (feed the batch's shaped reward to every pair to reproduce LASER's single
/// batch reward exactly). Deterministic: probability 1.
/// </summary>
public sealed class LaserRouter : RouterBase, ICheckpointable
{
    private readonly ArmPosteriorSet _posteriors;

    public LaserRouter(int arms, int dimension, LinUcbOptions? options = null) : base(arms, dimension)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "LASER needs features (dimension > 0)");
        Options = options ?? new LinUcbOptions();
        Options.Validate();
        _posteriors = new ArmPosteriorSet(arms, dimension, 1.0 / Options.Regularisation, 1.0, null);
    }

    public LinUcbOptions Options { get; }

    /// <summary>Arm n's ridge model over batch-mean contexts.</summary>
    public ArmPosterior Model(int arm) => _posteriors[arm];

    /// <summary>The mean of the contexts (the batch context).</summary>
    public static double[] MeanContext(IEnumerable<double[]> contexts, int dimension)
    {
        var mean = new double[dimension];
        int count = 0;
        foreach (var h in contexts)
        {
            for (int k = 0; k < dimension; k++) mean[k] += h[k];
            count++;
        }
        if (count > 0) for (int k = 0; k < dimension; k++) mean[k] /= count;
        return mean;
    }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var ucb = LinUcbRouter.Bounds(_posteriors, [MeanContext(contexts, Dimension)], Options.Alpha)[0];
        var decision = new RoutingDecision(ArgMax(ucb), 1.0);
        return Enumerable.Repeat(decision, contexts.Count).ToArray();
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback)
    {
        var batch = feedback.GroupBy(f => f.Arm)
            .Select(g => new ArmFeedback(MeanContext(g.Select(f => f.Context), Dimension), g.Key, g.Average(f => f.Reward)))
            .ToArray();
        _posteriors.Update(batch, 1.0);
    }

    public string StateKind => "laser";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        w.Write(Dimension);
        w.Write(Options.Alpha);
        w.Write(Options.Regularisation);
        _posteriors.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Arms, "arms");
        r.ReadExpected(Dimension, "dimension");
        r.ReadExpected(Options.Alpha, "alpha");
        r.ReadExpected(Options.Regularisation, "regularisation");
        return _posteriors.ReadState(r);
    }
}
