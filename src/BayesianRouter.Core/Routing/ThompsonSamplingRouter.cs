using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// Bayesian linear Thompson sampling (paper section 3.3, Eq. 4-6): per arm a Gaussian posterior over w_n; for every
/// pair of a batch a fresh draw per arm and the choice argmax_n h^T w_n (lowest index on ties); each arm's posterior
/// is updated once per batch with the pairs routed to it.
/// <para>
/// Exact and fast: only h^T w_n enters the argmax, and for a fresh draw w_n ~ N(mu_n, Sigma_n) it is distributed
/// N(h^T mu_n, h^T Sigma_n h), independently across arms. So the router draws that scalar (one standard normal per
/// arm per pair, in pair-then-arm order) instead of a d-dimensional w_n: the same distribution for the decision, at
/// O(d^2) per arm per pair with no factorisation (see <see cref="ArmPosterior"/>).
/// </para>
/// </summary>
public sealed class ThompsonSamplingRouter : RouterBase, IThompsonRouter, ICheckpointable
{
    private readonly ArmPosteriorSet _posteriors;
    private SeededRandom _random;       // decisions
    private SeededRandom _probability;  // Monte-Carlo probability estimates only

    public ThompsonSamplingRouter(int arms, int dimension, ThompsonSamplingOptions? options = null) : base(arms, dimension)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Thompson sampling needs features (dimension > 0)");
        Options = options ?? new ThompsonSamplingOptions();
        Options.Validate();
        _posteriors = new ArmPosteriorSet(arms, dimension, Options.PriorVariance, Options.NoiseVariance, Options.PriorMean,
            Options.MaxDegreeOfParallelism);
        _random = new SeededRandom(Options.Seed, stream: 0);
        _probability = new SeededRandom(Options.Seed, stream: 1);
    }

    public ThompsonSamplingOptions Options { get; }

    /// <summary>Arm n's posterior (read it; the router changes it only in <see cref="IRouter.Update"/>).</summary>
    public ArmPosterior Posterior(int arm) => _posteriors[arm];

    /// <summary>Score means and standard deviations for a batch (validated like <see cref="IRouter.Select"/>).</summary>
    public ScoreMoments ScoreMoments(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        return _posteriors.Moments(contexts);
    }

    /// <inheritdoc />
    public double[][] SampleScores(IReadOnlyList<double[]> contexts) => SampleScores(ScoreMoments(contexts));

    /// <inheritdoc />
    public ScoreDraws Sample(IReadOnlyList<double[]> contexts, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var moments = ScoreMoments(contexts);
        return new ScoreDraws(Draws(moments, random), moments);
    }

    /// <summary>
    /// Thompson draws of h_p^T w_n for every pair and arm, [pair][arm], from the decision generator (this is what
    /// <see cref="IRouter.Select"/> takes the argmax of).
    /// </summary>
    public double[][] SampleScores(ScoreMoments moments) => Draws(moments, _random);

    /// <summary>mean + sd * z per pair and arm, one standard normal per arm per pair in pair-then-arm order.</summary>
    private double[][] Draws(ScoreMoments moments, SeededRandom random)
    {
        var scores = new double[moments.Pairs][];
        for (int p = 0; p < moments.Pairs; p++)
        {
            var s = scores[p] = new double[Arms];
            for (int n = 0; n < Arms; n++)
            {
                int i = p * moments.Arms + n;
                s[n] = moments.Means[i] + moments.StdDevs[i] * random.NextGaussian();
            }
        }
        return scores;
    }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var moments = _posteriors.Moments(contexts);
        var scores = SampleScores(moments);
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++)
        {
            int arm = ArgMax(scores[p]);
            decisions[p] = new RoutingDecision(arm, EstimateProbability(moments, p, arm));
        }
        return decisions;
    }

    /// <summary>Seeded Monte-Carlo estimate of P(argmax = arm | context p) from the probability stream; NaN when off.</summary>
    private double EstimateProbability(ScoreMoments moments, int p, int arm)
    {
        int draws = Options.MonteCarloDraws;
        if (draws == 0) return double.NaN;
        return (double)ThompsonChoice.MonteCarloHits(moments, p, arm, ThompsonChoice.Normals(_probability, draws, Arms)) / draws;
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback) =>
        _posteriors.Update(feedback, Options.Forgetting);

    public string StateKind => "thompson-sampling";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        w.Write(Dimension);
        w.Write(Options.PriorVariance);
        w.Write(Options.NoiseVariance);
        w.Write(Options.Forgetting);
        w.Write(Options.MonteCarloDraws);
        _posteriors.WriteState(w);
        _random.WriteState(w);
        _probability.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Arms, "arms");
        r.ReadExpected(Dimension, "dimension");
        r.ReadExpected(Options.PriorVariance, "prior variance");
        r.ReadExpected(Options.NoiseVariance, "noise variance");
        r.ReadExpected(Options.Forgetting, "forgetting factor");
        r.ReadInt32(); // Monte-Carlo draws: decisions do not depend on it, so a resumed run may change it
        var posteriors = _posteriors.ReadState(r);
        var random = SeededRandom.ReadState(r);
        var probability = SeededRandom.ReadState(r);
        return () =>
        {
            posteriors();
            _random = random;
            _probability = probability;
        };
    }
}
