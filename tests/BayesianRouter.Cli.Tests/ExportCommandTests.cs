using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.Service.Export;
using BayesianRouter.TestSupport;
using Parquet.Serialization;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>bayesrouter export decisions</c> on the decision log of a <c>label</c> run against real RM servers.</summary>
public class ExportCommandTests : DataTempFolderTest
{
    [Fact]
    public async Task Export_writes_every_decision_with_its_feedback_as_json_lines_and_parquet()
    {
        var pairs = RecordedRmFarm.MakePairs(48, seed: 12);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        farm.WritePoolFile(pool, farm.Specs.Select(s => s.Name == "judge" ? s with { Cost = 5 } : s).ToArray());
        var input = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(input, pairs);
        var output = Path.Combine(dir, "out.jsonl");
        var label = await CliRunner.RunAsync("label", "--pool", pool, "--pairs", input, "--out", output, "--encoder-cache", Path.Combine(dir, "cache"),
            "--batch-size", "16", "--seed", "3", "--feedback", "truth");
        Assert.True(label.ExitCode == 0, label.Err);
        var routed = PairFile.ReadAll(output).ToDictionary(p => p.Id, p => p.Routing!);

        var jsonl = Path.Combine(dir, "decisions.jsonl");
        var export = await CliRunner.RunAsync("export", "decisions", "--state", output + ".state", "--out", jsonl, "--pool", pool);
        Assert.True(export.ExitCode == 0, export.Err);
        Assert.Contains("48 decisions (48 with feedback)", export.Err);
        var rows = File.ReadAllLines(jsonl).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal(48, rows.Length);
        foreach (var row in rows)
        {
            var r = routed[(string)row["pair_id"]!];
            Assert.Equal(r.DecisionId, (string)row["decision_id"]!);
            Assert.Equal(r.Chosen, (string)row["rm"]!);
            Assert.Equal(r.Probability, (double)row["propensity"]!, 12);
            Assert.Equal(pairs.First(p => p.Id == (string)row["pair_id"]!).Group, (string)row["group"]!);
            Assert.Equal((string)row["labelled_by"]! == "judge" ? 5.0 : 1.0, (double)row["cost"]!);
            Assert.Equal("reward", (string)row["feedback_kind"]!);
            Assert.Contains((double)row["feedback_reward"]!, new[] { 0.0, 1.0 });
            Assert.True(DateTimeOffset.Parse((string)row["decided_at"]!) <= DateTimeOffset.Parse((string)row["feedback_at"]!));
        }

        var parquet = Path.Combine(dir, "decisions.parquet");
        Assert.Equal(0, (await CliRunner.RunAsync("export", "decisions", "--state", output + ".state", "--out", parquet)).ExitCode);
        await using var stream = File.OpenRead(parquet);
        var deserialized = await ParquetSerializer.DeserializeAsync<ExportedDecision>(stream);
        var read = deserialized.Data.ToArray();
        Assert.Equal(rows.Select(r => (string)r["decision_id"]!), read.Select(r => r.DecisionId));
        Assert.Equal(rows.Select(r => (double)r["feedback_value"]!), read.Select(r => r.FeedbackValue!.Value));
        Assert.All(read, r => Assert.Equal(1.0, r.Cost)); // no --pool: 1 per call
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
    }

    [Fact]
    public async Task Bad_options_say_what_is_wrong_and_write_nothing()
    {
        var dir = NewFolder();
        var missing = await CliRunner.RunAsync("export", "decisions", "--state", Path.Combine(dir, "nope"), "--out", Path.Combine(dir, "x.jsonl"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no such folder", missing.Err);
        var noLog = await CliRunner.RunAsync("export", "decisions", "--state", dir, "--out", Path.Combine(dir, "x.jsonl"));
        Assert.Equal(1, noLog.ExitCode);
        Assert.Contains("no decision log", noLog.Err);
        var badFolder = await CliRunner.RunAsync("export", "decisions", "--state", dir, "--out", Path.Combine(dir, "sub", "x.jsonl"));
        Assert.Equal(1, badFolder.ExitCode);
        Assert.Contains("does not exist", badFolder.Err);
        var badFormat = await CliRunner.RunAsync("export", "decisions", "--state", dir, "--out", Path.Combine(dir, "x.csv"), "--format", "csv");
        Assert.Equal(1, badFormat.ExitCode);
        Assert.Contains("--format csv", badFormat.Err);
        Assert.Empty(Directory.GetFiles(dir));
    }
}
