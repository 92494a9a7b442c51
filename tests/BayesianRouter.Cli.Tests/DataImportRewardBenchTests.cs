using BayesianRouter.Data;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>data import rewardmath --part rewardbench</c>: the 447 RewardBench math pairs with response texts.</summary>
public class DataImportRewardBenchTests : DataTempFolderTest
{
    [Fact]
    public async Task ItWritesThe447PairsWithTextsAndTheChosenScorers()
    {
        var output = Path.Combine(NewFolder(), "rb.jsonl");
        var r = await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "--part", "rewardbench",
            "--scorers", "ArmoRM,process", "-o", output);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("joined 447 of 447 problems", r.Out);
        Assert.Matches(@"wrote 447 pairs \(\d+ with preferred = b\) and judgments of 5 RMs to ", r.Out);
        var pairs = PairFile.ReadAll(output);
        Assert.All(pairs, p => Assert.NotEmpty(p.ResponseA));
        Assert.Equal(["ArmoRM", "Easy_to_hard", "Math_Shepherd", "ReasonEval_34B", "ReasonEval_7B"], pairs[0].Judgments.Keys.Order(StringComparer.Ordinal));

        var bad = await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "--part", "math", "-o", output);
        Assert.NotEqual(0, bad.ExitCode);
    }
}
