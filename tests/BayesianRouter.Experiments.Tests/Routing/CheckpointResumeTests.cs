using BayesianRouter.Baselines;
using BayesianRouter.Rewards;
using BayesianRouter.Routing;
using BayesianRouter.State;
using static BayesianRouter.Core.Tests.Routing.RoutingTestData;

namespace BayesianRouter.Experiments.Tests.Routing;

public sealed class CheckpointResumeTests : IDisposable
{
    private const int D = 6, Arms = 4, Batches = 50, StopAfter = 23;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "routing-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string> Kinds => ["ts", "ts-prior-forgetting", "linucb", "laser", "weighted", "random"];

    private static (IRouter Router, ICheckpointable State) Make(string kind)
    {
        IRouter r = kind switch
        {
            "ts" => new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 21, MonteCarloDraws = 50 }),
            "ts-prior-forgetting" => new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions
            {
                Seed = 22, PriorVariance = 0.02, Forgetting = 0.95,
                PriorMean = Enumerable.Range(0, Arms).Select(n => Enumerable.Range(0, D).Select(k => 0.1 * (n - k)).ToArray()).ToArray(),
            }),
            "linucb" => new LinUcbRouter(Arms, D, new LinUcbOptions { Alpha = 0.3 }),
            "laser" => new LaserRouter(Arms, D),
            "weighted" => new WeightedScoreRouter(Arms, D, h => [h[0], h[1], h[2], h[3]], new WeightedScoreOptions { Online = new() { Seed = 23 }, MonteCarloDraws = 20 }),
            "random" => new RandomRouter(Arms, seed: 24, dimension: D),
            _ => throw new ArgumentException(kind),
        };
        return (r, (ICheckpointable)r);
    }

    /// <summary>
    /// One run of the online loop with batch-centred, quantile-normalised rewards (from synthetic losses), optionally
    /// stopping after <paramref name="stopAfter"/> batches, saving router and normaliser, and resuming in fresh objects.
    /// </summary>
    private List<RoutingDecision> Run(string kind, int? stopAfter)
    {
        var data = new SeededRandom(99); // the stream of pairs and losses is the same in every run
        var (router, state) = Make(kind);
        var normaliser = new QuantileNormaliser();
        var decisions = new List<RoutingDecision>();
        for (int t = 0; t < Batches; t++)
        {
            if (t == stopAfter)
            {
                var path = Path.Combine(_dir, $"{kind}.ckpt");
                CheckpointFile.Save(path, state, normaliser);
                (router, state) = Make(kind);
                normaliser = new QuantileNormaliser();
                CheckpointFile.Restore(path, state, normaliser);
            }
            var contexts = Contexts(data, 8, D);
            var chosen = router.Select(contexts);
            decisions.AddRange(chosen);
            var losses = contexts.Select((h, i) => Math.Abs(h[chosen[i].Arm % D]) + 0.1 * data.NextDouble()).ToArray();
            var rewards = normaliser.ShapeLosses(losses);
            router.Update(contexts.Select((h, i) => new ArmFeedback(h, chosen[i].Arm, rewards[i])).ToArray());
        }
        return decisions;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResumingFromACheckpointGivesBitIdenticalDecisionsOverFiftyBatches(string kind)
    {
        var straight = Run(kind, stopAfter: null);
        var resumed = Run(kind, stopAfter: StopAfter);
        Assert.Equal(Batches * 8, straight.Count);
        Assert.Equal(straight.Select(d => d.Arm), resumed.Select(d => d.Arm));
        Assert.Equal(straight.Select(d => BitConverter.DoubleToInt64Bits(d.Probability)), resumed.Select(d => BitConverter.DoubleToInt64Bits(d.Probability)));
        if (kind != "random") Assert.True(straight.Select(d => d.Arm).Distinct().Count() > 1);
    }

    [Fact]
    public void ResumingIntoAFreshRouterWithoutRestoringWouldDiffer()
    {
        // Guards the test above: it would fail if the checkpoint carried nothing that matters.
        var straight = Run("ts", stopAfter: null);
        var (fresh, _) = Make("ts");
        var data = new SeededRandom(99);
        for (int t = 0; t < StopAfter; t++) { Contexts(data, 8, D); for (int i = 0; i < 8; i++) data.NextDouble(); }
        var after = fresh.Select(Contexts(data, 8, D)).Select(d => d.Arm);
        Assert.NotEqual(straight.Skip(StopAfter * 8).Take(8).Select(d => d.Arm), after);
    }

    [Fact]
    public void ACheckpointForAnotherShapeIsRejectedAndNothingChanges()
    {
        var path = Path.Combine(_dir, "ts.ckpt");
        var small = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 1 });
        small.Update(Feedback(new SeededRandom(2), Contexts(new SeededRandom(3), 10, D), Arms));
        CheckpointFile.Save(path, small);
        var other = new ThompsonSamplingRouter(Arms, D + 1, new ThompsonSamplingOptions { Seed = 1 });
        var before = CheckpointFile.ToBytes(other);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(path, other));
        Assert.Contains(path, e.Message);
        Assert.Contains("dimension", e.Message);
        Assert.Equal(before, CheckpointFile.ToBytes(other));
        var laser = new LaserRouter(Arms, D);
        var e2 = Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(path, laser));
        Assert.Contains("'thompson-sampling' state, a 'laser' state was expected", e2.Message);
    }
}
