using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Service.Tests;

/// <summary><c>bench serve</c>'s measurement routes with what it is given: no prior, or an offline router as <c>serve --router</c>.</summary>
public class ServeBenchmarkTests
{
    private static OfflineRouter Artifact()
    {
        var rng = new Random(5);
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        const int fused = 4, input = 2 * 8;
        return new OfflineRouter(["alpha", "beta", "gamma"], "test-hash-8", 8, 128, [], FusionActivation.Tanh, fused,
            Values(fused * input), Values(fused), Values(3 * (fused + 1)), Values(3 * (fused + 1)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(OnlineModel.Paper)]
    [InlineData(OnlineModel.Hierarchical)]
    public async Task With_a_router_every_timed_pair_is_routed_by_its_pool_and_online_model_and_committed(OnlineModel? model)
    {
        var state = Path.Combine(Path.GetTempPath(), "br-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var r = await ServeBenchmark.RunAsync(new ServeBenchmarkOptions
            {
                Embedder = new HashEmbedder(), Router = Artifact(), Model = model, Clients = 2, BatchSize = 4, Batches = 3, WarmupBatches = 1,
                DistinctPairs = 8, MonteCarloDraws = 20, StateDirectory = state,
            });
            Assert.Equal(24, r.Pairs);
            Assert.Equal(24, r.DecisionsCommitted);
            Assert.Equal(24, r.FeedbackCommitted);
            using var log = SqliteDecisionStore.OpenExisting(state);
            Assert.Equal(["alpha", "beta", "gamma"], log.Pool);
            // the log's setup id names the online model's factory only for the hierarchical model (the live default)
            var expected = RouterSetup.FromOfflineRouter(Artifact(), 1, new BayesianRouterOptions { Model = model ?? RouterSetup.DefaultLiveModel });
            Assert.Equal(expected.Id, log.FeaturesId);
            Assert.Equal((model ?? RouterSetup.DefaultLiveModel) == OnlineModel.Hierarchical, log.FeaturesId.Contains("units=", StringComparison.Ordinal));
        }
        finally
        {
            try { Directory.Delete(state, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Without_a_router_the_pool_is_the_instant_rms()
    {
        var state = Path.Combine(Path.GetTempPath(), "br-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await ServeBenchmark.RunAsync(new ServeBenchmarkOptions
            {
                Embedder = new HashEmbedder(), Rms = 5, Clients = 1, BatchSize = 4, Batches = 2, WarmupBatches = 0, DistinctPairs = 8,
                MonteCarloDraws = 20, StateDirectory = state,
            });
            using var log = SqliteDecisionStore.OpenExisting(state);
            Assert.Equal(["rm0", "rm1", "rm2", "rm3", "rm4"], log.Pool);
        }
        finally
        {
            try { Directory.Delete(state, true); } catch (IOException) { }
        }
    }
}
