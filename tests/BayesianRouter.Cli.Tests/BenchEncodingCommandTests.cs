using System.Text.Json;
using BayesianRouter.Data;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>bayesrouter bench encoding</c> runs end to end on a tiny pair file and refuses bad options.</summary>
public class BenchEncodingCommandTests : DataTempFolderTest
{
    private string WritePairs()
    {
        var path = Path.Combine(NewFolder(), "pairs.jsonl");
        var prompts = new[] { "What is 2 + 2?", "Solve x^2 = 9 for x.", "Name a prime number larger than ten.", "Integrate sin(x) from 0 to pi." };
        PairFile.Write(path, prompts.Select((p, i) => new PreferencePair { Id = $"p{i}", Group = $"g{i}", Prompt = p, Preferred = Preference.A }));
        return path;
    }

    [Fact]
    public async Task MeasuresOursAgainstThePackageAndPrintsJson()
    {
        var run = await CliRunner.RunAsync("bench", "encoding", "--pairs", WritePairs(), "--limit", "4", "--max-tokens", "32", "--rounds", "1", "--json");
        Assert.True(run.ExitCode == 0, run.Err);
        using var json = JsonDocument.Parse(run.LastLine);
        var result = json.RootElement.GetProperty("results")[0];
        Assert.True(result.GetProperty("speedup_cold_vs_package").GetDouble() > 0);
    }

    [Fact]
    public async Task ZeroLimitIsAClearError()
    {
        var run = await CliRunner.RunAsync("bench", "encoding", "--pairs", WritePairs(), "--limit", "0");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--limit", run.Err);
    }
}
