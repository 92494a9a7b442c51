using BayesianRouter.Alignment.Loop;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.RewardModels;
using BayesianRouter.RewardModels.Serving;
using BayesianRouter.Training;

namespace BayesianRouter.Alignment.Tests;

/// <summary>
/// The task's RMs served over HTTP (one scalar RM server each, what <c>rm-serve --task</c> runs) and called in the loop
/// through the pool client a user's trainer uses: the experiment gives exactly what it gives in-process.
/// </summary>
[Collection("tiny start")]
public class ServedPoolTests
{
    /// <summary>results.json without what depends on the clock (seconds per run, the settings' text).</summary>
    private static string Deterministic(AlignResult r)
    {
        var json = AlignJson.ToJson(r);
        json.Remove("info");
        foreach (var m in json["methods"]!.AsArray()) m!.AsObject().Remove("seconds_per_run");
        return json.ToJsonString();
    }

    [Fact]
    public async Task TheLoopOverHttpGivesTheSameResultsAsInProcess()
    {
        var scenario = TaskScenario.Drift;
        var pool = TaskRewardModels.Pool(scenario);
        var servers = new List<ScorerRmServer>();
        try
        {
            foreach (var rm in pool) servers.Add(await ScorerRmServer.StartAsync(rm));
            using var remote = RewardModelFactory.CreatePool(new RmPool("served", pool.Select((rm, i) =>
                new RmSpec { Name = rm.Name, Backend = RmBackend.VllmClassify, Url = servers[i].Url, MaxConcurrency = 16 }).ToArray()));
            var options = new AlignOptions
            {
                Scenario = scenario, Seeds = [2], Steps = 2, PromptsPerStep = 4, SamplesPerPrompt = 3, Evaluations = 1, MaxNewTokens = 5,
                Methods = ["bayesian-router", "majority", "single:reader", "ts-no-offline:full-advantage"], Offline = new() { Epochs = 2, Dimension = 4 },
            };
            var runner = new AlignRunner(new HashingEmbedder(), new MultiTaskRouterTrainer());
            var local = await runner.RunAsync(options, LoopTests.TinyStart, LoopTests.SharedCache, evaluateOnValidation: true);
            var served = await runner.RunAsync(options, LoopTests.TinyStart, LoopTests.SharedCache, remote.Cast<IRewardModel>().ToArray(), evaluateOnValidation: true);

            Assert.True(servers.Sum(s => s.Requests) > 0, "the RMs were called over HTTP");
            Assert.Equal(Deterministic(local), Deterministic(served)); // every figure of results.json
            Assert.Equal(local.Methods.Select(m => m.AccuracyPerSeed[0]), served.Methods.Select(m => m.AccuracyPerSeed[0]));
            Assert.Equal(local.Methods.Select(m => m.LabelAccuracy), served.Methods.Select(m => m.LabelAccuracy));
            Assert.Equal(local.Methods.Select(m => m.RmCallsPerPair), served.Methods.Select(m => m.RmCallsPerPair));
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task APoolWhoseNamesAreNotTheTasksIsRefused()
    {
        var options = new AlignOptions { Seeds = [1], Steps = 1, Evaluations = 1, Methods = ["random"] };
        var wrong = TaskRewardModels.Pool().Reverse().Cast<IRewardModel>().ToArray();
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            new AlignRunner(new HashingEmbedder(), new MultiTaskRouterTrainer()).RunAsync(options, LoopTests.TinyStart, LoopTests.SharedCache, wrong));
        Assert.Contains("are not the task's", e.Message);
    }
}
