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
        var run = await CliRunner.RunAsync("align", "--task", "arithmetic", "--seeds", "1", "--steps", "2", "--prompts-per-step", "4",
            "--evaluations", "1", "--methods", "single:calculator,majority,bayesian-router,bayesian-router:hierarchical,ts-no-offline,oracle", "--sft-steps", "30",
            "--policy-cache", Path.Combine(dir, "policies"), "--encoder-cache", Path.Combine(dir, "cache"), "--out", outDir, "--json");
        Assert.True(run.ExitCode == 0, run.Err);
        Assert.Contains("[align] start policy", run.Err); // progress lines when not interactive
        foreach (var f in new[] { "results.json", "report.md" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        // the plots as images: the methods' lines (Category10 palette) and one share line per RM
        PngAssert.Plot(Path.Combine(outDir, "policy_accuracy.png"), 1200, 650, "#1f77b4");
        PngAssert.Plot(Path.Combine(outDir, "routing_share.png"), 1200, 650, "#1f77b4", "#ff7f0e");
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json"))).RootElement;
        Assert.Equal("bayesrouter.align/1", json.GetProperty("schema").GetString());
        Assert.Equal("arithmetic", json.GetProperty("task").GetString());
        Assert.Equal(2, json.GetProperty("steps").GetInt32());
        Assert.Equal(1040, json.GetProperty("evaluation_prompts").GetInt32());
        var methods = json.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(6, methods.Count);
        Assert.Equal(5.0, methods["majority"].GetProperty("rm_calls_per_pair").GetDouble());
        Assert.Equal(1.0, methods["single:calculator"].GetProperty("share").GetProperty("calculator").GetDouble());
        Assert.Single(methods["oracle"].GetProperty("policy_accuracy_per_seed").EnumerateArray());
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
    public async Task BenchAlignRefusesTooFewSteps()
    {
        var dir = NewFolder();
        var run = await CliRunner.RunAsync("bench", "align", "--steps", "1", "--policy-cache", Path.Combine(dir, "p"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--steps 1", run.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "p")));
    }

    [Theory]
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
