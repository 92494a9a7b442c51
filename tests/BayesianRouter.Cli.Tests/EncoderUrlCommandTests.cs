using System.Text.Json.Nodes;
using BayesianRouter.Encoding;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// <c>--encoder URL</c> end to end: <c>bench serve</c> encodes on a stand-in OpenAI-compatible embeddings server on
/// 127.0.0.1 (the local MiniLM behind it, as TEI serves it); a server with another model, or none, is a one-line error.
/// </summary>
public class EncoderUrlCommandTests
{
    [Fact]
    public async Task Bench_serve_encodes_on_the_server_and_a_wrong_or_missing_server_is_named()
    {
        using var model = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = 512, Threads = 1 });
        await using var server = await StandInEmbeddingsServer.StartAsync(texts => model.Encode(texts.Select(t => new EncoderInput(t)).ToArray()));
        var r = await CliRunner.RunAsync("bench", "serve", "--encoder", server.Address.ToString(), "--clients", "2", "--batch", "2", "--batches", "1",
            "--warmup", "1", "--warm-batches", "1", "--encoder-pairs", "2", "--max-tokens", "32", "--mc-draws", "20", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        var json = JsonNode.Parse(r.LastLine)!;
        Assert.Equal(4, (long)json["cold_pairs"]!);
        // the probe at start, then the texts of the pairs (the encoder alone's and the clients'): no local encoding
        Assert.True(server.Requests >= 2, $"{server.Requests} requests");
        Assert.True((double)json["cold_pairs_per_second"]! > 0);

        using var wrong = new SyntheticTextEncoder(384, 512);
        await using var other = await StandInEmbeddingsServer.StartAsync(texts => wrong.Encode(texts.Select(t => new EncoderInput(t)).ToArray()));
        var refused = await CliRunner.RunAsync("bench", "serve", "--encoder", other.Address.ToString(), "--encoder-pairs", "0");
        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("are not sentence-transformers/all-MiniLM-L6-v2's with mean pooling", line);
        Assert.Contains("--pooling mean", line);

        var missing = await CliRunner.RunAsync("bench", "serve", "--encoder", "http://127.0.0.1:9", "--encoder-pairs", "0");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: --encoder http://127.0.0.1:9: ", missing.Err);
        Assert.Contains("cannot reach the embeddings server", missing.Err);
    }
}
