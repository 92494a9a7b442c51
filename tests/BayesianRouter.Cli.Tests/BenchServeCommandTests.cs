using System.Text.Json.Nodes;
using BayesianRouter.Encoding;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// <c>bayesrouter bench serve</c> measures fresh pairs with the real encoder (every text new to the cache), the encoder
/// alone in the same run, and a warm phase; <c>--soak-pairs</c> runs the stand-in encoder through the bounded cache.
/// </summary>
public class BenchServeCommandTests
{
    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "bayesrouter-bench-serve-test-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Cold_pairs_the_encoder_alone_and_the_warm_phase_in_one_json_object()
    {
        var cache = NewFolder();
        try
        {
            var r = await CliRunner.RunAsync("bench", "serve", "--clients", "2", "--batch", "3", "--batches", "2", "--warmup", "1", "--warm-batches", "2",
                "--encoder-pairs", "2", "--max-tokens", "32", "--encoder-cache", cache, "--mc-draws", "50", "--json");
            Assert.True(r.ExitCode == 0, r.Err);
            var json = JsonNode.Parse(r.LastLine)!;
            Assert.Equal(12, (long)json["cold_pairs"]!); // 2 clients x 2 batches x 3 pairs
            Assert.Equal(12, (long)json["warm_pairs"]!);
            Assert.Equal(24, (long)json["decisions_committed"]!); // cold + warm, every one committed with its feedback
            Assert.Equal(24, (long)json["feedback_committed"]!);
            double cold = (double)json["cold_pairs_per_second"]!, encoder = (double)json["encoder_pairs_per_second"]!;
            Assert.Equal(cold / encoder, (double)json["cold_vs_encoder"]!, 9);
            var runs = json["encoder_runs_pairs_per_second"]!.AsArray().Select(x => (double)x!).ToArray();
            Assert.Equal(2, runs.Length); // before and after the service, the faster one the baseline
            Assert.Equal(runs.Max(), encoder);
            Assert.True((double)json["p99_ms"]! >= (double)json["p50_ms"]!);
            Assert.True((double)json["warm_pairs_per_second"]! > 0);
            Assert.Equal("full", (string)json["durability"]!);
            Assert.Contains("cold pairs per second", r.Out);
            Assert.Contains("cold / encoder alone", r.Out);
            // the cold texts went into the given cache: 2 texts per warm-up pair (2 clients x 1 batch of 3) and cold pair, all distinct
            using var model = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = 32 });
            using var reopened = new EmbeddingCache(cache, model.Id, MiniLmEncoder.Dimension);
            Assert.Equal(2 * (2 * 3 + 12), reopened.Count);
        }
        finally
        {
            try { Directory.Delete(cache, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_soak_reports_memory_and_disk_at_10_percent_and_at_the_end_with_the_cache_within_its_cap()
    {
        var r = await CliRunner.RunAsync("bench", "serve", "--soak-pairs", "3000", "--encoder-cache-entries", "400", "--clients", "3", "--batch", "50",
            "--mc-draws", "20", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        var json = JsonNode.Parse(r.LastLine)!;
        Assert.Equal(3000, (long)json["soak_pairs"]!);
        Assert.Equal(3000, (long)json["decisions_committed"]!);
        Assert.Equal(3000, (long)json["feedback_committed"]!);
        foreach (var field in new[] { "rss_mb_at_10pct", "rss_mb_at_end", "disk_mb_at_end", "decision_log_bytes_per_decision" })
            Assert.True((double)json[field]! > 0, field);
        Assert.True((double)json["disk_mb_at_10pct"]! >= 0); // the cache writes behind: maybe nothing on disk yet after a fraction of a second
        Assert.Contains("400 embeddings in memory", r.Out); // 6,000 fresh texts through a cache capped at 400
        Assert.Contains("5600 evicted", r.Out);
        Assert.Contains("10%", r.Err);
    }

    [Theory]
    [InlineData("--clients", "0")]
    [InlineData("--soak-pairs", "5")]
    [InlineData("--encoder-workers", "0")]
    [InlineData("--encoder-cache-entries", "0")]
    [InlineData("--encoder-model", "my-model")]
    [InlineData("--encoder", "ftp://host")]
    public async Task Bad_options_are_one_line_errors(string option, string value)
    {
        var r = await CliRunner.RunAsync("bench", "serve", option, value, "--encoder-pairs", "0");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(option is "--clients" or "--soak-pairs" ? "at least" : option, line);
    }

    [Fact]
    public async Task Online_model_needs_a_router()
    {
        var noRouter = await CliRunner.RunAsync("bench", "serve", "--online-model", "paper", "--encoder-pairs", "0");
        Assert.NotEqual(0, noRouter.ExitCode);
        Assert.Contains("--online-model needs --router", noRouter.Err);
    }
}
