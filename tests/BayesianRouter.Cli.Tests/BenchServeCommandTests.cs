using System.Text.Json.Nodes;

namespace BayesianRouter.Cli.Tests;

public class BenchServeCommandTests
{
    [Fact]
    public async Task Bench_serve_reports_throughput_latency_and_the_encoder_baseline_as_json()
    {
        var cache = Path.Combine(Path.GetTempPath(), "bayesrouter-bench-serve-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var r = await CliRunner.RunAsync("bench", "serve", "--clients", "2", "--batch", "4", "--batches", "3", "--warmup", "1",
                "--encoder-sample", "2", "--distinct-pairs", "8", "--encoder-cache", cache, "--mc-draws", "50", "--json");
            Assert.True(r.ExitCode == 0, r.Err);
            var json = JsonNode.Parse(r.LastLine)!;
            Assert.Equal(24, (long)json["pairs"]!);
            Assert.Equal(24, (long)json["decisions_committed"]!);
            Assert.Equal(24, (long)json["feedback_committed"]!);
            Assert.True((double)json["pairs_per_second"]! > 0);
            Assert.True((double)json["batch_p99_ms"]! >= (double)json["batch_p50_ms"]!);
            Assert.True((double)json["encoder_microseconds_per_pair"]! > 0);
            Assert.Equal("full", (string)json["durability"]!);
            Assert.Contains("pairs per second", r.Out);
            var bad = await CliRunner.RunAsync("bench", "serve", "--clients", "0", "--encoder-sample", "0", "--encoder-cache", cache);
            Assert.Equal(1, bad.ExitCode);
            var noRouter = await CliRunner.RunAsync("bench", "serve", "--online-model", "paper", "--encoder-sample", "0", "--encoder-cache", cache);
            Assert.NotEqual(0, noRouter.ExitCode);
            Assert.Contains("--online-model needs --router", noRouter.Err);
        }
        finally
        {
            try { Directory.Delete(cache, true); } catch (IOException) { }
        }
    }
}
