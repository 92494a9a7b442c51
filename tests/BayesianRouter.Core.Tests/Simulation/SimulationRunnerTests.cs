using BayesianRouter.Data;
using BayesianRouter.Offline;
using BayesianRouter.Simulation;

namespace BayesianRouter.Core.Tests.Simulation;

public class SimulationRunnerTests
{
    private static readonly string[] Pool = ["good", "math", "coin", "never"];

    private static SimulationOptions Options(SplitKind split = SplitKind.Group) => new()
    {
        Pool = Pool,
        Seeds = [1, 2, 3],
        BatchSize = 16,
        Split = split,
        Offline = new OfflineTrainingOptions { Dimension = 4 },
    };

    private static SimulationResult Run(List<PreferencePair> pairs, SimulationOptions options, BiasOnlyTrainer? trainer = null) =>
        new SimulationRunner(new HashEmbedder(), trainer ?? new BiasOnlyTrainer()).Run(pairs, null, options);

    [Fact]
    public void OfflinePartAndStreamNeverSplitAGroupAndCoverEveryPair()
    {
        var pairs = SimulationData.Pairs(60, 7);
        var trainer = new BiasOnlyTrainer();
        var seen = new List<(int Seed, HashSet<string> Stream)>();
        var runner = new SimulationRunner(new HashEmbedder(), trainer, null, ctx =>
        {
            var rec = new RecordingMethod("rec");
            lock (seen) seen.Add((ctx.Seed, rec.Ids));
            return [rec];
        });
        runner.Run(pairs, null, Options());

        Assert.Equal(3, trainer.TrainedOn.Count);
        foreach (var (offline, (seed, stream)) in trainer.TrainedOn.Zip(seen.OrderBy(s => s.Seed)))
        {
            var offlineGroups = offline.Select(p => p.Group).ToHashSet();
            var streamGroups = pairs.Where(p => stream.Contains(p.Id)).Select(p => p.Group).ToHashSet();
            Assert.Empty(offlineGroups.Intersect(streamGroups));
            Assert.Equal(pairs.Count, offline.Count + stream.Count);
            Assert.All(pairs.Where(p => stream.Contains(p.Id)), p => Assert.DoesNotContain(p.Id, offline.Select(o => o.Id)));
        }
    }

    [Fact]
    public void EveryMethodSeesTheSameBatchesInTheSameOrder()
    {
        var pairs = SimulationData.Pairs(40, 3);
        var recorders = new List<RecordingMethod>();
        var runner = new SimulationRunner(new HashEmbedder(), new BiasOnlyTrainer(), null, ctx =>
        {
            var list = new[] { new RecordingMethod("r1"), new RecordingMethod("r2"), new RecordingMethod("r3") };
            lock (recorders) recorders.AddRange(list);
            return list;
        });
        runner.Run(pairs, null, Options() with { Seeds = [5] });
        Assert.Equal(3, recorders.Count);
        Assert.Equal(recorders[0].Batches, recorders[1].Batches);
        Assert.Equal(recorders[0].Batches, recorders[2].Batches);
        Assert.True(recorders[0].Batches.Count > 1);
        Assert.All(recorders[0].Batches.SkipLast(1), b => Assert.Equal(16, b.Split(',').Length));
    }

    [Fact]
    public void OracleIsAtLeastEveryMethodAndSingleRmAccuracyMatchesDirectCount()
    {
        var pairs = SimulationData.Pairs(60, 11);
        var ids = new Dictionary<int, HashSet<string>>();
        var result = new SimulationRunner(new HashEmbedder(), new BiasOnlyTrainer(), null, ctx =>
        {
            var rec = new RecordingMethod("rec");
            lock (ids) ids[ctx.Seed] = rec.Ids;
            return [.. SimulationMethods.Create(ctx), rec];
        }).Run(pairs, null, Options());

        var oracle = result.Method("oracle");
        foreach (var m in result.Methods)
            for (int s = 0; s < result.Seeds.Count; s++)
                Assert.True(oracle.AccuracyPerSeed[s] >= m.AccuracyPerSeed[s] - 1e-12, $"{m.Name} beats the oracle in seed {result.Seeds[s]}");

        foreach (var rm in Pool)
        {
            var single = result.Method($"single:{rm}");
            for (int s = 0; s < result.Seeds.Count; s++)
            {
                var stream = pairs.Where(p => ids[result.Seeds[s]].Contains(p.Id)).ToList();
                double direct = stream.Count(p => p.IsRight(rm)) / (double)stream.Count;
                Assert.Equal(direct, single.AccuracyPerSeed[s], 12);
            }
            Assert.Equal(1.0, single.RmCallsPerPair);
            Assert.Equal(1.0, single.Share[rm]);
        }
        Assert.Equal(0.0, result.Method("single:never").Accuracy.Mean);
    }

    [Fact]
    public void SameSeedsGiveIdenticalResults()
    {
        var pairs = SimulationData.Pairs(50, 5);
        var a = SimulationJson.Serialize(Run(pairs, Options()));
        var b = SimulationJson.Serialize(Run(pairs, Options()));
        Assert.Equal(a, b);
        var c = SimulationJson.Serialize(Run(pairs, Options() with { Seeds = [7, 8, 9] }));
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void DomainSplitPutsWholeDomainsOnOneSide()
    {
        var pairs = SimulationData.Pairs(40, 9);
        var trainer = new BiasOnlyTrainer();
        Run(pairs, Options(SplitKind.Domain), trainer);
        foreach (var offline in trainer.TrainedOn)
        {
            var domains = offline.Select(p => p.Domain).Distinct().ToList();
            Assert.Single(domains);
            Assert.Equal(pairs.Count(p => p.Domain == domains[0]), offline.Count);
        }
    }

    [Fact]
    public void SeparateOfflinePairsTrainTheRouterAndTheWholeFileIsStreamed()
    {
        var online = SimulationData.Pairs(20, 1);
        var offline = SimulationData.Pairs(30, 2).Select(p => p with { Id = "off-" + p.Id, Group = "off-" + p.Group }).ToList();
        var trainer = new BiasOnlyTrainer();
        var result = new SimulationRunner(new HashEmbedder(), trainer).Run(online, offline, Options());
        Assert.All(trainer.TrainedOn, t => Assert.Equal(offline.Count, t.Count));
        Assert.All(result.PairsOnlinePerSeed, n => Assert.Equal(online.Count, n));
        Assert.Equal("offline-pairs", result.Split);
    }

    [Fact]
    public void UnknownPoolRmIsAClearError()
    {
        var pairs = SimulationData.Pairs(10, 1);
        var e = Assert.Throws<ArgumentException>(() => Run(pairs, Options() with { Pool = ["good", "missing"] }));
        Assert.Contains("missing", e.Message);
    }

    /// <summary>Records the ids of every batch it is shown; labels with arm 0.</summary>
    private sealed class RecordingMethod(string name) : AnnotationMethod(name, MethodKind.Router)
    {
        public HashSet<string> Ids { get; } = [];
        public List<string> Batches { get; } = [];

        public override void Annotate(SimulationBatch batch, Span<PairOutcome> outcomes)
        {
            Batches.Add(string.Join(",", batch.Pairs.Select(p => p.Id)));
            foreach (var p in batch.Pairs) Ids.Add(p.Id);
            for (int i = 0; i < outcomes.Length; i++) outcomes[i] = new PairOutcome(batch.Pairs[i].IsRight("good"), 0, 1, 1, 1);
        }
    }
}
