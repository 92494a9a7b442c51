using System.Text.Json;
using BayesianRouter.Data;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// End to end: <c>bayesrouter simulate</c> with the real embedded encoder and the TorchSharp trainer on small pair
/// files written by the test, including the cross-benchmark run (--offline-pairs from one file, --pairs from another).
/// </summary>
public class SimulateCommandTests : DataTempFolderTest
{
    private static readonly string[] Rms = ["alpha", "beta", "gamma"];

    /// <summary>Groups of two pairs per prompt; "alpha" is right on algebra, "beta" on geometry, "gamma" at random.</summary>
    private static string WritePairs(string dir, string name, int groups, int seed)
    {
        var rng = new Random(seed);
        var pairs = new List<PreferencePair>();
        for (int g = 0; g < groups; g++)
        {
            string domain = g % 2 == 0 ? "algebra" : "geometry";
            string prompt = domain == "algebra" ? $"Solve for x: {g}x + {seed} = {g * 3}." : $"Find the area of a triangle with sides {g}, {g + 1} and {g + 2}.";
            for (int k = 0; k < 2; k++)
            {
                var truth = rng.Next(2) == 0 ? Preference.A : Preference.B;
                Judgment Says(bool right) => right == (truth == Preference.A) ? Judgment.FromScores(2, 1) : Judgment.FromScores(1, 2);
                pairs.Add(new PreferencePair
                {
                    Id = $"{name}-{g}-{k}",
                    Group = $"{name}-{g}",
                    Prompt = prompt,
                    Preferred = truth,
                    Domain = domain,
                    Judgments = new Dictionary<string, Judgment>
                    {
                        ["alpha"] = Says(domain == "algebra" || rng.NextDouble() < 0.3),
                        ["beta"] = Says(domain == "geometry" || rng.NextDouble() < 0.3),
                        ["gamma"] = Says(rng.NextDouble() < 0.5),
                    },
                });
            }
        }
        var path = Path.Combine(dir, name + ".jsonl");
        PairFile.Write(path, pairs);
        return path;
    }

    private static async Task<(CliResult Run, JsonElement Json)> Simulate(string dir, params string[] extra)
    {
        var args = new List<string> { "simulate", "--pool", string.Join(",", Rms), "--seeds", "2", "--batch-size", "8", "--epochs", "5", "--tune-epochs", "3,5",
            "--encoder-cache", Path.Combine(dir, "cache"), "--json" };
        args.AddRange(extra);
        var run = await CliRunner.RunAsync(args.ToArray());
        Assert.True(run.ExitCode == 0, run.Err);
        return (run, JsonDocument.Parse(run.LastLine).RootElement);
    }

    [Fact]
    public async Task CrossBenchmarkRunStreamsTheWholeOnlineFileAndWritesEveryOutput()
    {
        var dir = NewFolder();
        var online = WritePairs(dir, "online", 20, 1);
        var offline = WritePairs(dir, "offline", 30, 2);
        var outDir = Path.Combine(dir, "out");
        var (_, json) = await Simulate(dir, "--pairs", online, "--offline-pairs", offline, "--out", outDir);

        Assert.Equal(40, json.GetProperty("pairs_online").GetInt32());
        Assert.All(json.GetProperty("pairs_offline_per_seed").EnumerateArray(), n => Assert.Equal(60, n.GetInt32()));
        Assert.Equal("offline-pairs", json.GetProperty("split").GetString());
        var names = json.GetProperty("methods").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        foreach (var expected in new[] { "single:alpha", "single:beta", "single:gamma", "random", "majority", "uwo", "laser",
                     "ts-no-offline", "offline-only", "bayesian-router", "weighted-score:0.25", "weighted-score:0.5", "weighted-score:0.75", "oracle" })
            Assert.Contains(expected, names);
        foreach (var file in new[] { "results.json", "report.md", "accuracy_stream.png", "routing_share.png", "accuracy_cost.png" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 0, file);
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        Assert.Equal("bayesrouter.simulation/1", saved.RootElement.GetProperty("schema").GetString());
    }

    [Fact]
    public async Task SameSeedsReproduceTheResultsAndOracleBoundsEveryMethod()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir, "pairs", 40, 3);
        var (_, first) = await Simulate(dir, "--pairs", pairs, "--out", Path.Combine(dir, "a"));
        var (_, second) = await Simulate(dir, "--pairs", pairs, "--out", Path.Combine(dir, "b"));
        Assert.Equal(first.GetProperty("methods").GetRawText(), second.GetProperty("methods").GetRawText());

        var methods = first.GetProperty("methods").EnumerateArray().ToList();
        double oracle = methods.Single(m => m.GetProperty("name").GetString() == "oracle").GetProperty("accuracy_mean").GetDouble();
        Assert.All(methods, m => Assert.True(m.GetProperty("accuracy_mean").GetDouble() <= oracle + 1e-12, m.GetProperty("name").GetString()));
        var majority = methods.Single(m => m.GetProperty("name").GetString() == "majority");
        Assert.Equal(3.0, majority.GetProperty("rm_calls_per_pair").GetDouble());
    }

    [Fact]
    public async Task BatchSizeCutsTheOnlineStreamAndTrainBatchSizeIsTheTrainersOwn()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir, "pairs", 20, 4);
        var (_, small) = await Simulate(dir, "--pairs", pairs, "--out", Path.Combine(dir, "a"), "--train-batch-size", "16");
        Assert.Equal(8, small.GetProperty("batch_size").GetInt32());
        var help = await CliRunner.RunAsync("simulate", "--help");
        Assert.Single(help.Out.Split('\n'), l => l.TrimStart().StartsWith("--batch-size", StringComparison.Ordinal));
        Assert.Contains("--train-batch-size", help.Out);
    }

    [Fact]
    public async Task BudgetsAddTheirTableToTheResultsAndTheFrontierPlot()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir, "pairs", 30, 6);
        var outDir = Path.Combine(dir, "out");
        var (run, json) = await Simulate(dir, "--pairs", pairs, "--out", outDir, "--costs", "alpha=1,beta=2,gamma=5", "--budget", "1.5,5");
        var budgets = json.GetProperty("budgets").EnumerateArray().ToList();
        Assert.Equal(new[] { 1.5, 5 }, budgets.Select(b => b.GetProperty("budget").GetDouble()));
        var names = budgets[0].GetProperty("methods").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Equal(new[] { "bayesian-router-budget", "threshold", "random-mix", "single:alpha" }, names);
        foreach (var b in budgets)
        {
            var router = b.GetProperty("methods")[0];
            Assert.True(router.GetProperty("cost_per_pair_max").GetDouble() <= b.GetProperty("budget").GetDouble() + 1e-9);
        }
        Assert.True(new FileInfo(Path.Combine(outDir, "accuracy_cost_frontier.png")).Length > 0);
        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("## Under a budget", report);
        Assert.Contains("accuracy_cost_frontier.png", report);
        Assert.Contains("| 1.5 | **bayesian-router-budget** |", run.Out);

        var below = await CliRunner.RunAsync("simulate", "--pairs", pairs, "--pool", "alpha,beta", "--costs", "alpha=1,beta=2", "--budget", "0.5", "--out", Path.Combine(dir, "none"));
        Assert.Equal(1, below.ExitCode);
        Assert.Contains("--budget 0.5 is below the cheapest RM's cost (alpha = 1)", below.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "none")));
    }

    [Fact]
    public async Task BadOptionsFailWithAClearMessageAndWriteNothing()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir, "pairs", 6, 1);
        var outDir = Path.Combine(dir, "out");
        var unknownRm = await CliRunner.RunAsync("simulate", "--pairs", pairs, "--pool", "alpha,nobody", "--out", outDir);
        Assert.NotEqual(0, unknownRm.ExitCode);
        Assert.Contains("nobody", unknownRm.Err);
        var badFeedback = await CliRunner.RunAsync("simulate", "--pairs", pairs, "--pool", "alpha,beta", "--feedback", "audit:2", "--out", outDir);
        Assert.NotEqual(0, badFeedback.ExitCode);
        Assert.Contains("audit", badFeedback.Err);
        Assert.False(Directory.Exists(outDir));
    }
}
