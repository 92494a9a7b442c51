using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>
/// The weighted-score integration baseline (paper section 4.3): per pair, s1 = softmax of the offline router's BT
/// scores, s2 = softmax of the online Thompson-sampling router's per-arm scores (zero prior), and the choice
/// argmax_n alpha s1[n] + (1 - alpha) s2[n] (lowest index on ties). The online part learns from every update.
/// Its "scores" are, by default, its Thompson draws h^T w_n (the paper calls them the online router's current reward
/// estimates; the draw is what that router itself ranks arms by, and it keeps the online part exploring where a
/// posterior mean would let an arm that is never picked stay unknown); <see cref="OnlineScoreKind.PosteriorMean"/>
/// gives the greedy variant.
/// </summary>
public sealed class WeightedScoreRouter : RouterBase, ICheckpointable
{
    private readonly Func<double[], double[]> _offlineScores;
    private readonly ThompsonSamplingRouter _online;
    private SeededRandom _probability;

    /// <param name="arms">Pool size.</param>
    /// <param name="dimension">Context length (the offline router's feature dimension).</param>
    /// <param name="offlineScores">The offline scores s1 of a context, one per arm (e.g. <c>offline.BtScores</c>).</param>
    /// <param name="options">Alpha, the online router's options, the online score kind.</param>
    public WeightedScoreRouter(int arms, int dimension, Func<double[], double[]> offlineScores, WeightedScoreOptions? options = null)
        : base(arms, dimension)
    {
        _offlineScores = offlineScores ?? throw new ArgumentNullException(nameof(offlineScores));
        Options = options ?? new WeightedScoreOptions();
        Options.Validate();
        _online = new ThompsonSamplingRouter(arms, dimension, Options.Online with { MonteCarloDraws = 0 });
        _probability = new SeededRandom(Options.Online.Seed, stream: 2);
    }

    public WeightedScoreOptions Options { get; }

    /// <summary>The online part (read-only use: its posteriors).</summary>
    public ThompsonSamplingRouter Online => _online;

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var moments = _online.ScoreMoments(contexts);
        double[][] online = Options.OnlineScore == OnlineScoreKind.Sampled
            ? _online.SampleScores(moments)
            : Enumerable.Range(0, contexts.Count).Select(p => Enumerable.Range(0, Arms).Select(n => moments.Mean(p, n)).ToArray()).ToArray();
        var decisions = new RoutingDecision[contexts.Count];
        var mixed = new double[Arms];
        var s2 = new double[Arms];
        for (int p = 0; p < decisions.Length; p++)
        {
            var s1 = Softmax.Of(CheckScores(_offlineScores(contexts[p]), Arms, "the offline score function"));
            Softmax.Into(online[p], s2);
            for (int n = 0; n < Arms; n++) mixed[n] = Options.Alpha * s1[n] + (1 - Options.Alpha) * s2[n];
            int arm = ArgMax(mixed);
            decisions[p] = new RoutingDecision(arm, Probability(moments, p, s1, arm));
        }
        return decisions;
    }

    /// <summary>Monte-Carlo estimate of the choice probability: the mixture's argmax over fresh online draws (<see cref="ThompsonChoice"/>).</summary>
    private double Probability(ScoreMoments moments, int p, double[] s1, int arm)
    {
        if (Options.OnlineScore == OnlineScoreKind.PosteriorMean) return 1.0;
        int draws = Options.MonteCarloDraws;
        if (draws == 0) return double.NaN;
        var s2 = new double[Arms];
        double alpha = Options.Alpha;
        void Mix(Span<double> draw)
        {
            Softmax.Into(draw, s2);
            for (int n = 0; n < draw.Length; n++) draw[n] = alpha * s1[n] + (1 - alpha) * s2[n];
        }
        return (double)ThompsonChoice.MonteCarloHits(moments, p, arm, ThompsonChoice.Normals(_probability, draws, Arms), Mix) / draws;
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback) => _online.Update(feedback);

    public string StateKind => "weighted-score";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Options.Alpha);
        w.Write((int)Options.OnlineScore);
        _online.WriteState(w);
        _probability.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Options.Alpha, "alpha");
        r.ReadExpected((int)Options.OnlineScore, "online score kind");
        var online = _online.ReadState(r, _online.StateVersion);
        var probability = SeededRandom.ReadState(r);
        return () =>
        {
            online();
            _probability = probability;
        };
    }
}
