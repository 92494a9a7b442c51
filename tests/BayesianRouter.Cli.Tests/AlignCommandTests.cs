using BayesianRouter.Live;
using System.Text.Json;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// End to end: <c>bayesrouter align</c> with the real embedded encoder, the TorchSharp trainer and a briefly trained
/// start policy (a few supervised steps, cached in a temporary folder), and its input errors.
/// </summary>
public class AlignCommandTests : DataTempFolderTest
{
    [Fact]
    public async Task AlignWritesResultsReportAndPlotsWithTheSchemaFields()
    {
        var dir = NewFolder();
        var outDir = Path.Combine(dir, "out");
        var run = await CliRunner.RunAsync("align", "--task", "arithmetic", "--scenario", "drift", "--seeds", "2", "--steps", "2", "--prompts-per-step", "4",
            "--evaluations", "1", "--methods", "single:calculator,majority,bayesian-router,bayesian-router:hierarchical,ts-no-offline,oracle", "--sft-steps", "30",
            "--serve-pool", "--policy-cache", Path.Combine(dir, "policies"), "--encoder-cache", Path.Combine(dir, "cache"), "--out", outDir, "--json");
        Assert.True(run.ExitCode == 0, run.Err);
        Assert.Contains("[align] start policy", run.Err); // progress lines when not interactive
        foreach (var f in new[] { "results.json", "report.md", "policy_accuracy.png", "routing_share.png", "rm_accuracy.png", "period_answers.png" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        // the plots as images: the methods' lines (Category10 palette) and one share line per RM
        // six methods' lines (Category10), scored at the start and twice along the run; a 30-step start scores 0 for every
        // method here, so the lines coincide and the last drawn covers the others: one of the colours shows as a line
        PngAssert.Plot(Path.Combine(outDir, "policy_accuracy.png"), 1200, 650, 1, "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b");
        // one share line per RM of the pool; a two-step run sends every pair to the incumbent, so the others' lines lie on 0 together
        PngAssert.Plot(Path.Combine(outDir, "routing_share.png"), 1200, 650, 2, "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd");
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json"))).RootElement;
        Assert.Equal("bayesrouter.align/1", json.GetProperty("schema").GetString());
        Assert.Equal("arithmetic", json.GetProperty("task").GetString());
        Assert.Equal("drift", json.GetProperty("scenario").GetString());
        Assert.Equal("loss", json.GetProperty("feedback").GetString());
        Assert.Equal(2, json.GetProperty("steps").GetInt32());
        Assert.Equal([1, 2], json.GetProperty("seeds").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal(600, json.GetProperty("evaluation_prompts").GetInt32());
        Assert.Equal(new Alignment.Tasks.TaskSplit().TestHash(), json.GetProperty("test_set_hash").GetString());
        Assert.Equal(16, json.GetProperty("config_hash").GetString()!.Length);
        Assert.Contains("over HTTP through the pool client", json.GetProperty("info").GetProperty("RMs called").GetString());
        var methods = json.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(6, methods.Count);
        // paired differences to the bayesian-router, seed by seed, with their interval
        var main = methods["bayesian-router"].GetProperty("policy_accuracy_per_seed").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var oracle = methods["oracle"].GetProperty("policy_accuracy_per_seed").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var paired = methods["oracle"].GetProperty("paired_difference_to_bayesian_router");
        Assert.Equal(oracle.Zip(main, (a, b) => a - b).Average(), paired.GetProperty("mean").GetDouble(), 5);
        Assert.Equal(2, paired.GetProperty("ci95").GetArrayLength());
        // each RM's true accuracy and routing share over the steps, the habit's share, the pool per domain
        Assert.Equal(5, methods["bayesian-router"].GetProperty("rm_accuracy_over_steps")[1].GetArrayLength());
        Assert.Equal(5, methods["bayesian-router"].GetProperty("share_over_steps")[1].GetArrayLength());
        Assert.Equal(2, methods["oracle"].GetProperty("period_share_over_steps").GetArrayLength()); // one window per step in a 2-step run (10 at most)
        Assert.Equal(4, json.GetProperty("pool_statistics").GetProperty("by_domain").EnumerateObject().Count());
        Assert.Equal(2, json.GetProperty("offline_router_validation_routing_accuracy_per_seed").GetArrayLength());
        Assert.Equal(5.0, methods["majority"].GetProperty("rm_calls_per_pair").GetDouble());
        Assert.Equal(1.0, methods["single:calculator"].GetProperty("share").GetProperty("calculator").GetDouble());
        Assert.Equal(2, methods["oracle"].GetProperty("policy_accuracy_per_seed").GetArrayLength());
        Assert.Equal(4, methods["bayesian-router"].GetProperty("policy_accuracy_per_domain").EnumerateObject().Count());
        Assert.Equal(JsonDocument.Parse(run.LastLine).RootElement.GetProperty("initial_accuracy").GetDouble(), json.GetProperty("initial_accuracy").GetDouble());
        Assert.Contains("Table 1", File.ReadAllText(Path.Combine(outDir, "report.md")));
        // the defaults: the live path's online model (the other one beside it), a calibrated sigma_w^2, h for every router
        var settings = json.GetProperty("info").GetProperty("align settings").GetString()!;
        Assert.Contains($"online model {RouterSetup.DefaultLiveModel.ToString().ToLowerInvariant()}, sigma_w^2 calibrated", settings);
        Assert.Contains("baseline features shared (h)", settings);
        Assert.Contains("paper model sigma_w^2 = ", json.GetProperty("info").GetProperty("seed 1 online stage").GetString());
    }

    [Fact]
    public async Task APoolFileMustNameTheTasksRmsAndCannotBeCombinedWithServing()
    {
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        File.WriteAllText(pool, """{"rms": [{"name": "calculator", "backend": "vllm-classify", "url": "http://127.0.0.1:9"}]}""");
        var run = await CliRunner.RunAsync("align", "--pool", pool, "--policy-cache", Path.Combine(dir, "p"), "--out", Path.Combine(dir, "out"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("lacks \"parser\"", run.Err);
        var both = await CliRunner.RunAsync("align", "--pool", pool, "--serve-pool", "--policy-cache", Path.Combine(dir, "p"), "--out", Path.Combine(dir, "out"));
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("--pool and --serve-pool exclude each other", both.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        Assert.False(Directory.Exists(Path.Combine(dir, "p")));
    }

    [Fact]
    public async Task BenchAlignRefusesTooFewSteps()
    {
        var dir = NewFolder();
        var run = await CliRunner.RunAsync("bench", "align", "--steps", "1", "--policy-cache", Path.Combine(dir, "p"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--steps 1", run.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "p")));
    }

    [Fact]
    public async Task TheValidationProtocolRunsEveryMethodAtEveryGridPointAndChoosesByTheirMean()
    {
        var dir = NewFolder();
        var outDir = Path.Combine(dir, "tune");
        var run = await CliRunner.RunAsync("align", "--eval-on", "validation", "--tune-lr", "0.001,0.004", "--seeds", "1", "--steps", "1", "--prompts-per-step", "4",
            "--evaluations", "1", "--methods", "random,oracle", "--sft-steps", "30", "--policy-cache", Path.Combine(dir, "policies"),
            "--encoder-cache", Path.Combine(dir, "cache"), "--out", outDir);
        Assert.True(run.ExitCode == 0, run.Err);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "tuning.json"))).RootElement;
        var grid = json.GetProperty("grid").EnumerateArray().ToArray();
        Assert.Equal([0.001, 0.004], grid.Select(g => g.GetProperty("learning_rate").GetDouble()));
        var means = grid.Select(g => g.GetProperty("mean_over_methods").GetDouble()).ToArray();
        Assert.All(grid, g => Assert.Equal(g.GetProperty("validation_accuracy").EnumerateObject().Average(m => m.Value.GetDouble()), g.GetProperty("mean_over_methods").GetDouble(), 5));
        Assert.Equal(grid[means[1] > means[0] ? 1 : 0].GetProperty("learning_rate").GetDouble(), json.GetProperty("chosen").GetProperty("learning_rate").GetDouble());
        Assert.Equal(2, json.GetProperty("best_per_method").EnumerateObject().Count());
        Assert.Contains("mean over methods", File.ReadAllText(Path.Combine(outDir, "tuning.md")));
        Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
    }

    [Theory]
    [InlineData("--scenario", "chaos", "chaos")]
    [InlineData("--feedback", "audit:2", "audit:2")]
    [InlineData("--feedback", "votes", "--feedback votes")]
    [InlineData("--pool", "no-such-pool.json", "no-such-pool.json")]
    [InlineData("--tune-lr", "0.001", "--eval-on validation")]
    [InlineData("--tune-beta", "0.1", "--tune-beta needs --tune-lr")]
    [InlineData("--methods", "single:nope", "nope")]
    [InlineData("--methods", "random:full-advantage", "only ts-no-offline")]
    [InlineData("--steps", "0", "--steps")]
    [InlineData("--lora-targets", "q_proj,w_proj", "w_proj")]
    [InlineData("--task", "poetry", "poetry")]
    [InlineData("--online-model", "linear", "linear")]
    [InlineData("--prior-variance", "-1", "--prior-variance -1")]
    [InlineData("--baseline-features", "raw", "raw")]
    public async Task BadOptionsAreOneLineErrorsAndWriteNothing(string option, string value, string expected)
    {
        var dir = NewFolder();
        var outDir = Path.Combine(dir, "out");
        var run = await CliRunner.RunAsync("align", option, value, "--policy-cache", Path.Combine(dir, "p"), "--out", outDir);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, run.Err);
        Assert.DoesNotContain("   at ", run.Err);
        Assert.False(Directory.Exists(outDir));
        Assert.False(Directory.Exists(Path.Combine(dir, "p")));
    }
}
