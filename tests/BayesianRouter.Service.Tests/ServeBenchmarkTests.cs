using System.Collections.Concurrent;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Service.Tests;

/// <summary>
/// <c>bench serve</c>'s measurement: fresh pairs through a real server (every text encoded once, never served from the
/// cache), the encoder alone on other fresh pairs, a warm phase that encodes nothing; routed with what it is given.
/// And the soak: every decision and feedback item committed, checkpoints along the way (its bounded cache is tested
/// through <c>bench serve --soak-pairs</c> in the CLI tests, with the real cache).
/// </summary>
public class ServeBenchmarkTests
{
    /// <summary>A concurrent embedder that counts the texts it encodes; with a cache, a text is encoded once ever.</summary>
    private sealed class CountingEmbedder(bool cached) : IConcurrentPairEmbedder
    {
        private readonly HashEmbedder _inner = new();
        private readonly ConcurrentDictionary<string, bool> _seen = new();
        private long _texts;
        public string EncoderId => _inner.EncoderId;
        public int Dimension => _inner.Dimension;
        public int MaxTokens => _inner.MaxTokens;
        public long TextsEncoded => Interlocked.Read(ref _texts);

        public IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null)
        {
            foreach (var p in pairs)
                foreach (var text in new[] { p.Prompt + "\n" + p.ResponseA, p.Prompt + "\n" + p.ResponseB })
                    if (!cached || _seen.TryAdd(text, true)) Interlocked.Increment(ref _texts);
            return _inner.Embed(pairs);
        }

        public Task<IReadOnlyList<PairEmbedding>> EmbedAsync(IReadOnlyList<PreferencePair> pairs, CancellationToken cancellationToken = default) =>
            Task.FromResult(Embed(pairs));
    }

    private static OfflineRouter Artifact()
    {
        var rng = new Random(5);
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        const int fused = 4, input = 2 * 8;
        return new OfflineRouter(["alpha", "beta", "gamma"], "test-hash-8", 8, 128, [], FusionActivation.Tanh, fused,
            Values(fused * input), Values(fused), Values(3 * (fused + 1)), Values(3 * (fused + 1)));
    }

    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "br-bench-" + Guid.NewGuid().ToString("N")[..8]);

    private static void Delete(params string[] folders)
    {
        foreach (var f in folders)
            try { Directory.Delete(f, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(OnlineModel.Paper)]
    [InlineData(OnlineModel.Hierarchical)]
    public async Task With_a_router_every_timed_pair_is_routed_by_its_pool_and_online_model_and_committed(OnlineModel? model)
    {
        var state = NewFolder();
        try
        {
            var r = await ServeBenchmark.RunAsync(new ServeBenchmarkOptions
            {
                Embedder = new HashEmbedder(), Router = Artifact(), Model = model, Clients = 2, BatchSize = 4, Batches = 3, WarmupBatches = 1,
                WarmBatches = 2, EncoderPairs = 0, MonteCarloDraws = 20, StateDirectory = state,
            });
            Assert.Equal(24, r.ColdPairs); // 2 clients x 3 batches x 4 pairs
            Assert.Equal(16, r.WarmPairs);
            Assert.Equal(24 + 16, r.DecisionsCommitted);
            Assert.Equal(24 + 16, r.FeedbackCommitted);
            Assert.Null(r.EncoderPairsPerSecond);
            using var log = SqliteDecisionStore.OpenExisting(state);
            Assert.Equal(["alpha", "beta", "gamma"], log.Pool);
            Assert.All(log.ReadDecisions(), e => Assert.Contains(e.Decision.Rm, log.Pool));
            // the log's setup id names the online model's factory only for the hierarchical model (the live default)
            var expected = RouterSetup.FromOfflineRouter(Artifact(), 1, new BayesianRouterOptions { Model = model ?? RouterSetup.DefaultLiveModel });
            Assert.Equal(expected.Id, log.FeaturesId);
            Assert.Equal((model ?? RouterSetup.DefaultLiveModel) == OnlineModel.Hierarchical, log.FeaturesId.Contains("units=", StringComparison.Ordinal));
        }
        finally
        {
            Delete(state);
        }
    }

    [Fact]
    public async Task Cold_pairs_are_all_new_to_the_encoder_the_warm_phase_encodes_nothing_and_the_baseline_runs_on_other_fresh_pairs()
    {
        var state = NewFolder();
        try
        {
            var embedder = new CountingEmbedder(cached: true);
            var alone = new CountingEmbedder(cached: false);
            var r = await ServeBenchmark.RunAsync(new ServeBenchmarkOptions
            {
                Embedder = embedder, EncoderAlone = alone, Rms = 3, Clients = 3, BatchSize = 5, Batches = 2, WarmupBatches = 1, WarmBatches = 4,
                EncoderPairs = 7, MonteCarloDraws = 20, StateDirectory = state,
            });
            const int warmup = 3 * 1 * 4, cold = 3 * 2 * 5, warm = 3 * 4 * 5;
            Assert.Equal(cold, r.ColdPairs);
            Assert.Equal(2L * (warmup + cold), embedder.TextsEncoded); // every text of every cold pair new; none of the warm ones
            Assert.Equal(2L * (2 + 7 + 7), alone.TextsEncoded); // a warm-up pair pair, then 7 fresh pairs before and 7 after
            Assert.Equal(2, r.EncoderRunsPairsPerSecond.Count);
            Assert.Equal(r.EncoderRunsPairsPerSecond.Max(), r.EncoderPairsPerSecond);
            Assert.Equal(r.ColdPairsPerSecond / r.EncoderPairsPerSecond!.Value, r.ColdVsEncoder!.Value, 12);
            Assert.True(r.P99Ms >= r.P50Ms && r.P50Ms > 0);
            Assert.True(r.WarmP99Ms >= r.WarmP50Ms && r.WarmP50Ms > 0);
            Assert.Equal(cold + warm, r.DecisionsCommitted);
            using var log = SqliteDecisionStore.OpenExisting(state);
            var ids = log.ReadDecisions().Select(e => e.Decision.PairId).ToArray();
            Assert.Equal(warmup + cold + warm, ids.Length);
            Assert.Equal(ids.Length, ids.Distinct().Count()); // no pair id sent twice (a service that dedups ids measures the same)
        }
        finally
        {
            Delete(state);
        }
    }

    [Fact]
    public async Task Without_a_router_the_pool_is_the_instant_rms()
    {
        var state = NewFolder();
        try
        {
            var r = await ServeBenchmark.RunAsync(new ServeBenchmarkOptions
            {
                Embedder = new HashEmbedder(), Rms = 5, Clients = 1, BatchSize = 4, Batches = 2, WarmupBatches = 0, WarmBatches = 0, EncoderPairs = 0,
                MonteCarloDraws = 20, StateDirectory = state,
            });
            Assert.Equal(8, r.DecisionsCommitted);
            Assert.Equal(0, r.WarmPairs);
            using var log = SqliteDecisionStore.OpenExisting(state);
            Assert.Equal(["rm0", "rm1", "rm2", "rm3", "rm4"], log.Pool);
            Assert.All(log.ReadDecisions(), e => Assert.Equal(e.Decision.Rm, e.Label.Rm)); // instant RMs never fail: no fallback
        }
        finally
        {
            Delete(state);
        }
    }

    [Fact]
    public async Task Bad_settings_are_refused_before_anything_runs()
    {
        var state = NewFolder();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ServeBenchmark.RunAsync(new ServeBenchmarkOptions { Embedder = new HashEmbedder(), Clients = 0, StateDirectory = state }));
        Assert.Contains("clients", e.Message);
        Assert.False(Directory.Exists(state));
        await Assert.ThrowsAsync<ArgumentException>(() => ServeSoak.RunAsync(new ServeSoakOptions { Embedder = new HashEmbedder(), Pairs = 5, StateDirectory = state }));
        Assert.False(Directory.Exists(state));
    }

    [Fact]
    public async Task A_soak_commits_every_decision_and_feedback_item_and_checkpoints_along_the_way()
    {
        var state = NewFolder();
        try
        {
            var embedder = new CountingEmbedder(cached: true);
            var r = await ServeSoak.RunAsync(new ServeSoakOptions
            {
                Embedder = embedder, Pairs = 2000, Clients = 4, BatchSize = 25, MonteCarloDraws = 20,
                CheckpointEveryBatches = 10, RouterStateEveryBatches = 5, StateDirectory = state,
            });
            Assert.Equal(2000, r.Pairs);
            Assert.Equal(2000, r.DecisionsCommitted);
            Assert.Equal(2000, r.FeedbackCommitted);
            Assert.Equal(4000, embedder.TextsEncoded); // fresh pairs: every text new
            Assert.True(File.Exists(Path.Combine(state, RoutingServer.CheckpointFileName)));
            Assert.True(r.RssMbAt10Pct > 0 && r.RssMbAtEnd > 0 && r.PeakRssMb >= r.RssMbAtEnd);
            Assert.True(r.DiskMbAtEnd > 0); // the checkpoint (no cache folder here)
            Assert.True(r.DecisionLogMbAtEnd > r.DecisionLogMbAt10Pct); // the log keeps every decision
            Assert.True(r.DecisionLogBytesPerDecision > 0);
            using var log = SqliteDecisionStore.OpenExisting(state);
            Assert.Equal(2000, log.ReadDecisions().Count(e => e.Feedback is not null));
        }
        finally
        {
            Delete(state);
        }
    }
}
