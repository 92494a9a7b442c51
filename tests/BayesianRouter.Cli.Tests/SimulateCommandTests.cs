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
        foreach (var file in new[] { "results.json", "report.md" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 0, file);
        // the plots as images: bayesian-router red over the grey lines of the other methods along the stream, and the
        // methods' bars (bayesian-router red, the others grey) in the accuracy-cost plot
        PngAssert.Plot(Path.Combine(outDir, "accuracy_stream.png"), 1200, 650, "#d62728", "#b0b0b0");
        // the routing share: the line of the RM bayesian-router used most, in its pool colour (Category10), is drawn
        var share = json.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "bayesian-router").GetProperty("share");
        int top = Array.IndexOf(Rms, Rms.MaxBy(rm => share.GetProperty(rm).GetDouble()));
        PngAssert.Plot(Path.Combine(outDir, "routing_share.png"), 1200, 650, new[] { "#1f77b4", "#ff7f0e", "#2ca02c" }[top]);
        PngAssert.Plot(Path.Combine(outDir, "accuracy_cost.png"), 1200, 650, "#d62728", "#b0b0b0");
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
        // the frontier as an image: the cost-aware router's red line and the single RMs' green points
        PngAssert.Plot(Path.Combine(outDir, "accuracy_cost_frontier.png"), 1300, 750, "#d62728", "#2ca02c");
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
        foreach (var (option, value, message) in new[]
                 {
                     ("--pairs-per-prompt", "some", "--pairs-per-prompt some: expected a whole number >= 1 or all"),
                     ("--epochs-online", "0", "--epochs-online must be at least 1"),
                     ("--incumbent-confidence", "0.3", "--incumbent-confidence 0.3: expected 0 (off) or a probability in [0.5, 1)"),
                 })
        {
            var bad = await CliRunner.RunAsync("simulate", "--pairs", pairs, "--pool", "alpha,beta", option, value, "--out", outDir);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains(message, bad.Err);
        }
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task The_default_protocol_routes_each_prompts_pairs_together_with_DPO_losses_and_epochs_pass_over_it_again()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir, "pairs", 24, 8);
        var (run, json) = await Simulate(dir, "--pairs", pairs, "--out", Path.Combine(dir, "a"));
        Assert.Equal("prompts: 16 prompts x all pairs of each", json.GetProperty("batches").GetString());
        Assert.Equal("dpo:2", json.GetProperty("feedback").GetString());
        Assert.False(json.GetProperty("feedback_is_oracle").GetBoolean());
        Assert.Equal(1, json.GetProperty("epochs_online").GetInt32());
        var names = json.GetProperty("methods").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        foreach (var expected in new[] { "win-stay", "domain-greedy", "best-single-train", "bayesian-router:unanchored" }) Assert.Contains(expected, names);
        var main = json.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "bayesian-router");
        foreach (var reference in new[] { "offline-only", "best-single", "best-single-train", "win-stay" })
            Assert.Equal(2, main.GetProperty("paired_differences").GetProperty(reference).GetProperty("ci95").GetArrayLength());
        Assert.Contains("## Paired differences", File.ReadAllText(Path.Combine(dir, "a", "report.md")));
        Assert.Contains("vs offline-only (paired, 95% CI)", run.Out);

        var (_, twice) = await Simulate(dir, "--pairs", pairs, "--epochs-online", "2", "--feedback", "truth", "--out", Path.Combine(dir, "b"));
        Assert.Equal(2 * json.GetProperty("pairs_online").GetInt32(), twice.GetProperty("pairs_online").GetInt32());
        Assert.Equal("prompts: 16 prompts x all pairs of each, 2 epochs", twice.GetProperty("batches").GetString());
        Assert.True(twice.GetProperty("feedback_is_oracle").GetBoolean());
    }
}
