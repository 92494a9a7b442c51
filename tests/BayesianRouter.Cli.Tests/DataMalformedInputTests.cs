namespace BayesianRouter.Cli.Tests;

/// <summary>
/// Malformed input of each kind, through the CLI: a clear <c>error: FILE:LINE: what is wrong</c>, exit code 1, and
/// no output file (nor temporary file) left behind.
/// </summary>
public class DataMalformedInputTests : DataTempFolderTest
{
    private const string Good = "{\"id\":\"p1\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\",\"preferred\":\"a\",\"judgments\":{\"rm\":{\"score_a\":1,\"score_b\":0}}}";

    public static TheoryData<string, string> BadLines => new()
    {
        { "{\"id\":\"p2\",\"prompt\":\"x\",", "not valid JSON" },
        { Good, "duplicate id \"p1\"" },
        { "{\"id\":\"p2\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\",\"judgments\":{\"rm\":{\"score_a\":NaN,\"score_b\":0}}}", "non-finite number (NaN)" },
        { "{\"id\":\"p2\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\",\"judgments\":{\"rm\":{\"score_a\":1e999,\"score_b\":0}}}", "is not finite" },
        { "{\"id\":\"p2\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\",\"judgments\":{\"rm\":{\"verdict\":\"maybe\"}}}", "verdict must be \"a\", \"b\" or \"tie\"" },
        { "{\"id\":\"p2\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\",\"preferred\":\"c\"}", "field \"preferred\" must be \"a\" or \"b\"" },
        { "{\"id\":\"p2\",\"response_a\":\"\",\"response_b\":\"\"}", "missing field \"prompt\"" },
        { "{\"id\":\"p2\",\"prompt\":\"x\",\"response_a\":\"\"}", "missing field \"response_b\"" },
    };

    private (string Dir, string Pairs, string Results, string Output) Setup(string badLine)
    {
        var dir = NewFolder();
        var pairs = Path.Combine(dir, "bad.jsonl");
        File.WriteAllText(pairs, Good + "\n\n" + badLine + "\n");
        var results = Path.Combine(dir, "other.jsonl");
        File.WriteAllText(results, "{\"id\":\"p1\",\"verdict\":\"a\"}\n");
        return (dir, pairs, results, Path.Combine(dir, "out.jsonl"));
    }

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task ABadPairFileStopsEveryCommandWithItsLineNumber(string badLine, string expected)
    {
        var (dir, pairs, results, output) = Setup(badLine);
        foreach (var args in new[]
        {
            new[] { "data", "import", "judgments", results, "--pairs", pairs, "-o", output },
            ["data", "validate", pairs],
            ["data", "stats", pairs, "--json"],
        })
        {
            var r = await CliRunner.RunAsync(args);
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith($"error: {pairs}:3: ", r.Err);
            Assert.Contains(expected, r.Err);
            Assert.DoesNotContain("   at ", r.Err); // no stack trace
        }
        Assert.Equal(["bad.jsonl", "other.jsonl"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task AFailedImportKeepsAnExistingOutputUntouched()
    {
        var (dir, pairs, results, output) = Setup("{oops");
        File.WriteAllText(output, "previous content\n");
        var r = await CliRunner.RunAsync("data", "import", "judgments", results, "--pairs", pairs, "-o", output);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("previous content\n", File.ReadAllText(output));
        Assert.Equal(3, Directory.GetFiles(dir).Length);
    }

    [Fact]
    public async Task AResultIdMissingFromThePairFileIsNamedByFileAndLine()
    {
        var (dir, pairs, _, output) = Setup("{\"id\":\"p2\",\"prompt\":\"x\",\"response_a\":\"\",\"response_b\":\"\"}");
        var results = Path.Combine(dir, "rm2.jsonl");
        File.WriteAllText(results, "{\"id\":\"p1\",\"verdict\":\"a\"}\n{\"id\":\"p7\",\"verdict\":\"b\"}\n");
        var r = await CliRunner.RunAsync("data", "import", "judgments", results, "--pairs", pairs, "-o", output);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"error: {results}:2: id \"p7\" is not in {pairs}", r.Err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task ABadRowInAPublicFormatStopsTheImportWithItsLine()
    {
        var dir = NewFolder();
        var source = Path.Combine(dir, "rb2.jsonl");
        File.WriteAllText(source,
            "{\"id\":\"1\",\"prompt\":\"p\",\"chosen\":[\"a\"],\"rejected\":[\"b\"],\"subset\":\"Math\"}\n" +
            "{\"id\":\"2\",\"prompt\":\"p\",\"chosen\":[\"a\"],\"rejected\":\"\",\"subset\":\"Math\",}\n");
        var output = Path.Combine(dir, "out.jsonl");
        var r = await CliRunner.RunAsync("data", "import", "rewardbench2", source, "-o", output);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"error: {source}:2: not valid JSON", r.Err);
        Assert.False(File.Exists(output));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public async Task AMissingSourceIsAUserError()
    {
        var dir = NewFolder();
        var r = await CliRunner.RunAsync("data", "import", "helpsteer3", Path.Combine(dir, "none.jsonl"), "-o", Path.Combine(dir, "o.jsonl"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no such file", r.Err);
        var s = await CliRunner.RunAsync("data", "stats", Path.Combine(dir, "none.jsonl"));
        Assert.Equal(1, s.ExitCode);
        Assert.Empty(Directory.GetFiles(dir));
    }
}
