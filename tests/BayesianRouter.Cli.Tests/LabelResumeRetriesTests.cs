using BayesianRouter.Data;
using BayesianRouter.RewardModels.Serving;
using BayesianRouter.Service;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>label</c> rerun after every RM failed on some pairs labels those pairs again, under the same decisions.</summary>
public class LabelResumeRetriesTests : DataTempFolderTest
{
    [Fact]
    public async Task A_rerun_labels_the_pairs_a_failure_left_unlabelled_keeping_their_decisions()
    {
        var pairs = RecordedRmFarm.MakePairs(24, seed: 9);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        farm.WritePoolFile(pool);
        var input = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(input, pairs);
        var output = Path.Combine(dir, "out.jsonl");
        string[] args = ["label", "--pool", pool, "--pairs", input, "--out", output, "--encoder-cache", Path.Combine(dir, "cache"), "--batch-size", "8", "--seed", "3"];

        foreach (var s in farm.Servers) s.Fault = RmFault.ServerError; // every RM down
        var failed = await CliRunner.RunAsync(args);
        Assert.True(failed.ExitCode == 0, failed.Err);
        Assert.Contains("labelled 0 of 24 pairs", failed.Out);
        var before = PairFile.ReadAll(output).ToDictionary(p => p.Id, p => p.Routing!);
        Assert.All(before.Values, r => Assert.Null(r.Label));

        foreach (var s in farm.Servers) s.Fault = RmFault.None; // back up
        var resumed = await CliRunner.RunAsync(args);
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        Assert.Contains("24 pairs were left unlabelled by a failure: labelling them again", resumed.Err);
        Assert.Contains("labelled 24 of 24 pairs", resumed.Out);
        var after = PairFile.ReadAll(output);
        foreach (var p in after)
        {
            var r = p.Routing!;
            Assert.NotNull(r.Label);
            Assert.Equal(before[p.Id].DecisionId, r.DecisionId); // the same decision: nothing drawn again
            Assert.Equal(before[p.Id].Chosen, r.Chosen);
            Assert.Equal(before[p.Id].Probability, r.Probability);
            Assert.Equal(r.Rm, r.Chosen); // its own RM first, as when it was routed
            Assert.Equal(p.Judgments[r.Rm!].Prefers(), r.Label); // what that RM recorded
        }
        using var log = SqliteDecisionStore.OpenExisting(output + ".state");
        Assert.Equal(24, log.ReadDecisions().Count()); // one decision per pair
        // every request is charged: the first run's (the routed RMs and the fallbacks the breaker let through), then one
        // label per pair (cost 1 each)
        static double Spend(string output) => double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"spend: ([0-9.]+) over 24 pairs").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Spend(failed.Out) >= 24);
        Assert.Equal(Spend(failed.Out) + 24, Spend(resumed.Out));
    }
}
