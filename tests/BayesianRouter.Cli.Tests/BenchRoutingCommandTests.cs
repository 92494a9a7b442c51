using System.Text.Json;
using BayesianRouter.Cli;

namespace BayesianRouter.Cli.Tests;

public class BenchRoutingCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = await BayesRouterCli.RunAsync(args, new CliIO(o, e, Interactive: false));
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task OneConfigurationPrintsTheTableAndJsonOnTheLastLine()
    {
        var (code, output, err) = await Run("bench", "routing", "--dim", "12", "--arms", "3", "--batch-size", "8", "--batches", "2", "--warmup", "1", "--json");
        Assert.Equal(0, code);
        Assert.Contains("measuring d=12 arms=3 batch=8", err);
        var lines = output.TrimEnd().Split('\n');
        using var json = JsonDocument.Parse(lines[^1]);
        var root = json.RootElement;
        Assert.Equal(["dim", "arms", "batch", "us_per_pair"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(12, root.GetProperty("dim").GetInt32());
        Assert.Equal(3, root.GetProperty("arms").GetInt32());
        Assert.Equal(8, root.GetProperty("batch").GetInt32());
        Assert.True(root.GetProperty("us_per_pair").GetDouble() > 0);
        Assert.Contains("us per pair", output);
    }

    [Fact]
    public async Task WithoutArmsItMeasuresEveryDefaultPoolSize()
    {
        var (code, output, _) = await Run("bench", "routing", "--dim", "8", "--batch-size", "4", "--batches", "1", "--warmup", "0", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([4, 8, 16], results.Select(r => r.GetProperty("arms").GetInt32()));
        Assert.All(results, r => Assert.Equal(8, r.GetProperty("dim").GetInt32()));
    }

    [Theory]
    [InlineData("--dim must be positive", "--dim", "0", "--arms", "2")]
    [InlineData("--arms must be positive", "--dim", "4", "--arms", "0")]
    [InlineData("--batch-size must be positive", "--dim", "4", "--arms", "2", "--batch-size", "0")]
    [InlineData("--batches must be positive", "--dim", "4", "--arms", "2", "--batches", "0")]
    [InlineData("--warmup cannot be negative", "--dim", "4", "--arms", "2", "--warmup", "-1")]
    [InlineData("--forgetting must be in (0, 1]", "--dim", "4", "--arms", "2", "--forgetting", "1.5")]
    [InlineData("--mc-draws cannot be negative", "--dim", "4", "--arms", "2", "--mc-draws", "-3")]
    public async Task BadValuesAreUserErrors(string message, params string[] options)
    {
        var (code, output, err) = await Run(["bench", "routing", .. options]);
        Assert.Equal(1, code);
        Assert.Contains($"error: {message}", err);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task HelpDescribesEveryOption()
    {
        var (code, output, _) = await Run("bench", "routing", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--dim", "--arms", "--batch-size", "--batches", "--warmup", "--seed", "--forgetting", "--mc-draws", "--json" }) Assert.Contains(option, output);
        Assert.Contains("microseconds", output);
    }
}
