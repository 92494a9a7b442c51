using System.CommandLine;
using System.Text.Json;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>bayesrouter data ...</c> end to end, on the real RewardMATH data (../shared/datasets/rewardmath).</summary>
public class DataCommandTests : DataTempFolderTest
{
    private const string Pool = "ArmoRM,skywork_llama3,internlm2_20b,grm_gemma";

    private static async Task<string> ImportRewardMath(string dir, int seed = 0, string name = "rm.jsonl")
    {
        var output = Path.Combine(dir, name);
        var r = await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "-o", output, "--seed", seed.ToString());
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("wrote 4347 pairs", r.Out);
        return output;
    }

    [Fact]
    public async Task ImportThenStatsReproduceTheReadmeFigures()
    {
        var dir = NewFolder();
        var file = await ImportRewardMath(dir);
        Assert.Equal(4347, File.ReadAllLines(file).Length);

        var all = await CliRunner.RunAsync("data", "stats", file, "--json");
        Assert.True(all.ExitCode == 0, all.Err);
        using (var doc = JsonDocument.Parse(all.LastLine))
        {
            Assert.Equal(4347, doc.RootElement.GetProperty("pairs").GetInt32());
            Assert.Equal(483, doc.RootElement.GetProperty("groups").GetInt32());
            var internlm2 = doc.RootElement.GetProperty("rms").GetProperty("internlm2");
            Assert.Equal(0.760, internlm2.GetProperty("accuracy").GetDouble(), 0.001);
            Assert.Equal(0.0, internlm2.GetProperty("ties").GetDouble());
            Assert.Equal(9, doc.RootElement.GetProperty("pool").GetProperty("names").GetArrayLength());
        }

        var pool = await CliRunner.RunAsync("data", "stats", file, "--pool", Pool, "--json");
        Assert.True(pool.ExitCode == 0, pool.Err);
        using var p = JsonDocument.Parse(pool.LastLine);
        var s = p.RootElement.GetProperty("pool");
        Assert.Equal(Pool.Split(','), s.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("internlm2_20b", s.GetProperty("best_single").GetProperty("name").GetString());
        Assert.Equal(0.731, s.GetProperty("best_single").GetProperty("accuracy").GetDouble(), 0.001);
        Assert.Equal(0.677, s.GetProperty("majority").GetDouble(), 0.001);
        Assert.Equal(0.906, s.GetProperty("oracle").GetDouble(), 0.001);
        // the readable tables come before the JSON line
        Assert.Contains("best single (internlm2_20b)", pool.Out);
        Assert.Contains("Intermediate Algebra", pool.Out);
    }

    [Fact]
    public async Task PlacementIsSeeded()
    {
        var dir = NewFolder();
        var a = File.ReadAllBytes(await ImportRewardMath(dir, 3, "a.jsonl"));
        var b = File.ReadAllBytes(await ImportRewardMath(dir, 3, "b.jsonl"));
        var c = File.ReadAllBytes(await ImportRewardMath(dir, 4, "c.jsonl"));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        int preferredB = File.ReadLines(Path.Combine(dir, "a.jsonl")).Count(l => l.Contains("\"preferred\":\"b\""));
        Assert.InRange(preferredB, 4347 * 0.45, 4347 * 0.55);
    }

    [Fact]
    public async Task TheDefaultSeedIsTheLibrarysDefault()
    {
        var dir = NewFolder();
        var withoutSeed = Path.Combine(dir, "default.jsonl");
        var r = await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "-o", withoutSeed);
        Assert.True(r.ExitCode == 0, r.Err);
        var explicitSeed = await ImportRewardMath(dir, BayesianRouter.Data.Import.PairPlacement.DefaultSeed, "explicit.jsonl");
        Assert.Equal(File.ReadAllBytes(explicitSeed), File.ReadAllBytes(withoutSeed));
    }

    [Fact]
    public async Task ValidatePrintsAOneLineSummary()
    {
        var dir = NewFolder();
        var file = await ImportRewardMath(dir);
        var r = await CliRunner.RunAsync("data", "validate", file);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith($"{file}: ok: 4347 pairs, 483 groups, 4347 with a ground truth (", r.Out);
        Assert.Contains("7 domains, 9 RMs", r.Out);
        Assert.Single(r.Out.Trim().Split('\n'));
    }

    [Fact]
    public async Task ScorersCanBeChosen()
    {
        var dir = NewFolder();
        var output = Path.Combine(dir, "judges.jsonl");
        var r = await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "-o", output, "--scorers", "internlm2,gpt4o_pairwise");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("judgments of 2 RMs", r.Out);
        Assert.Contains("skipped 4 failed verdicts (null) of gpt4o_pairwise", r.Out);
        var bad = await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "-o", Path.Combine(dir, "x.jsonl"), "--scorers", "gpt5");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("error: --scorers: unknown scorer \"gpt5\"", bad.Err);
        Assert.False(File.Exists(Path.Combine(dir, "x.jsonl")));
    }

    [Fact]
    public async Task UnknownPoolRmIsAUserError()
    {
        var dir = NewFolder();
        var file = Path.Combine(dir, "p.jsonl");
        File.WriteAllText(file, "{\"id\":\"1\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\",\"preferred\":\"a\",\"judgments\":{\"rm\":{\"verdict\":\"a\"}}}\n");
        var r = await CliRunner.RunAsync("data", "stats", file, "--pool", "rm,other");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error: RM \"other\" of the pool has no judgment in the file; the file's RMs are: rm", r.Err);
    }

    [Fact]
    public async Task JudgmentsAreMergedThroughTheCli()
    {
        var dir = NewFolder();
        var pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(pairs,
            "{\"id\":\"1\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\",\"preferred\":\"a\"}\n" +
            "{\"id\":\"2\",\"prompt\":\"y\",\"response_a\":\"\",\"response_b\":\"\",\"preferred\":\"b\"}\n");
        var mine = Path.Combine(dir, "mine.jsonl");
        File.WriteAllText(mine, "{\"id\":\"1\",\"score_a\":2,\"score_b\":1}\n{\"id\":\"2\",\"score_a\":2,\"score_b\":1}\n");
        var judge = Path.Combine(dir, "judge.json");
        File.WriteAllText(judge, "[{\"id\":\"2\",\"verdict\":\"b\"}]");
        var r = await CliRunner.RunAsync("data", "import", "judgments", mine, judge, "--pairs", pairs, "-o", pairs);
        Assert.True(r.ExitCode == 0, r.Err);
        var stats = await CliRunner.RunAsync("data", "stats", pairs, "--json");
        using var doc = JsonDocument.Parse(stats.LastLine);
        var rms = doc.RootElement.GetProperty("rms");
        Assert.Equal(0.5, rms.GetProperty("mine").GetProperty("accuracy").GetDouble());
        Assert.Equal(0.5, rms.GetProperty("judge").GetProperty("accuracy").GetDouble());
        Assert.Equal(1, rms.GetProperty("judge").GetProperty("missing").GetInt32());

        var twoWithRm = await CliRunner.RunAsync("data", "import", "judgments", mine, judge, "--pairs", pairs, "-o", pairs, "--rm", "x");
        Assert.Equal(1, twoWithRm.ExitCode);
        Assert.StartsWith("error: --rm names one RM", twoWithRm.Err);
    }

    [Fact]
    public void EveryDataCommandOptionAndArgumentIsDescribed()
    {
        var root = BayesRouterCli.Build(new CliIO(TextWriter.Null, TextWriter.Null, false));
        var data = root.Subcommands.Single(c => c.Name == "data");
        var commands = new List<Command>();
        void Walk(Command c) { commands.Add(c); foreach (var s in c.Subcommands) Walk(s); }
        Walk(data);
        Assert.Equal(["data", "import", "rewardmath", "rewardbench2", "helpsteer3", "hf-preference", "judgments", "stats", "validate"], commands.Select(c => c.Name));
        foreach (var c in commands)
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Description), c.Name);
            foreach (var o in c.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name != "--help" && o.Name != "--version"))
                Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{c.Name} {o.Name}");
            foreach (var a in c.Arguments) Assert.False(string.IsNullOrWhiteSpace(a.Description), $"{c.Name} <{a.Name}>");
        }
    }

    [Fact]
    public async Task HelpShowsTheFormatsAndOptions()
    {
        var r = await CliRunner.RunAsync("data", "import", "rewardmath", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--scorers", r.Out);
        Assert.Contains("--seed", r.Out);
        Assert.Contains("pairwise", r.Out);
        var stats = await CliRunner.RunAsync("data", "stats", "--help");
        Assert.Contains("--pool", stats.Out);
        Assert.Contains("--json", stats.Out);
    }
}
