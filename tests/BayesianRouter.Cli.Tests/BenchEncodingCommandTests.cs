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
        Assert.Equal(4, json.RootElement.GetProperty("texts").GetInt32()); // the 4 distinct prompt-only texts
        var result = json.RootElement.GetProperty("results")[0];
        Assert.Equal(32, result.GetProperty("max_tokens").GetInt32());
        double Rate(string row) => result.GetProperty(row).GetProperty("texts_per_second").GetDouble();
        long Get(string row, string field) => result.GetProperty(row).GetProperty(field).GetInt64();
        // the speed-ups are the ratios of the rows they summarise
        Assert.Equal(Rate("ours_cold") / Rate("package"), result.GetProperty("speedup_cold_vs_package").GetDouble(), 9);
        Assert.Equal(Rate("ours_cold") / Rate("ours_uncached"), result.GetProperty("cold_vs_uncached").GetDouble(), 9);
        // sorting by length never computes more positions than input order, on the same real tokens, within the budget
        Assert.Equal(Get("ours_cold", "tokens"), Get("ours_input_order", "tokens"));
        Assert.True(Get("ours_cold", "computed_positions") <= Get("ours_input_order", "computed_positions"));
        Assert.InRange(Get("ours_cold", "tokens"), 4 * 3, 4 * 32);
        // the same model on the same (plain English) texts: our embedding and the package's agree
        Assert.True(result.GetProperty("min_cosine_to_package").GetDouble() > 0.99, result.GetProperty("min_cosine_to_package").ToString());
    }

    [Fact]
    public async Task ZeroLimitIsAClearError()
    {
        var run = await CliRunner.RunAsync("bench", "encoding", "--pairs", WritePairs(), "--limit", "0");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--limit", run.Err);
    }
}
