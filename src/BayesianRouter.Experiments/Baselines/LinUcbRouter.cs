using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>
/// Disjoint LinUCB (Li et al. 2010), one decision per pair: per arm A_n = lambda I + sum x x^T and b_n = sum r x,
/// theta_n = A_n^{-1} b_n, and the choice argmax_n theta_n^T x + alpha sqrt(x^T A_n^{-1} x) (lowest index on ties).
/// This is the ridge posterior of <see cref="ArmPosterior"/> with prior variance 1 / lambda and noise variance 1, so
/// it shares Thompson sampling's O(d^2) decision and update. Deterministic: probability 1.
/// </summary>
public sealed class LinUcbRouter : RouterBase, ICheckpointable
{
    private readonly ArmPosteriorSet _posteriors;

    public LinUcbRouter(int arms, int dimension, LinUcbOptions? options = null) : base(arms, dimension)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "LinUCB needs features (dimension > 0)");
        Options = options ?? new LinUcbOptions();
        Options.Validate();
        _posteriors = new ArmPosteriorSet(arms, dimension, 1.0 / Options.Regularisation, 1.0, null);
    }

    public LinUcbOptions Options { get; }

    /// <summary>Arm n's ridge model (theta = posterior mean, A = precision).</summary>
    public ArmPosterior Model(int arm) => _posteriors[arm];

    /// <summary>Upper confidence bounds theta_n^T x + alpha sqrt(x^T A_n^{-1} x), [context][arm].</summary>
    public double[][] UpperConfidenceBounds(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        return Bounds(_posteriors, contexts, Options.Alpha);
    }

    internal static double[][] Bounds(ArmPosteriorSet posteriors, IReadOnlyList<double[]> contexts, double alpha)
    {
        var m = posteriors.Moments(contexts);
        var ucb = new double[contexts.Count][];
        for (int p = 0; p < ucb.Length; p++)
        {
            var u = ucb[p] = new double[m.Arms];
            for (int n = 0; n < m.Arms; n++) u[n] = m.Mean(p, n) + alpha * m.StdDev(p, n);
        }
        return ucb;
    }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts) =>
        Bounds(_posteriors, contexts, Options.Alpha).Select(u => new RoutingDecision(ArgMax(u), 1.0)).ToArray();

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback) => _posteriors.Update(feedback, 1.0);

    public string StateKind => "linucb";
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
