using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Service.Tests;

/// <summary>A deterministic stand-in for the text encoder: unit vectors from SHA-256 of the texts (no model needed).</summary>
internal sealed class HashEmbedder(int dimension = 8) : IPairEmbedder
{
    public string EncoderId => $"test-hash-{dimension}";
    public int Dimension => dimension;
    public int MaxTokens => 128;
    public int Calls;

    public IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null)
    {
        Interlocked.Increment(ref Calls);
        return pairs.Select(p => new PairEmbedding(Vector(p.Prompt + "\n" + p.ResponseA), Vector(p.Prompt + "\n" + p.ResponseB))).ToArray();
    }

    private float[] Vector(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var v = new float[dimension];
        for (int i = 0; i < dimension; i++) v[i] = hash[i % 32] / 255f - 0.5f;
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        for (int i = 0; i < dimension; i++) v[i] /= norm;
        return v;
    }
}

/// <summary>An in-process RM: a verdict from a function of the texts; can be made to fail in the ways real RMs do.</summary>
internal sealed class ScriptedRm(string name, Func<PairText, RmJudgment> judge) : IRewardModel
{
    public string Name { get; } = name;
    public int Calls;
    public Func<Exception>? Failure { get; set; }
    public TimeSpan Delay { get; set; }

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, cancellationToken);
        if (Failure?.Invoke() is { } e) throw e;
        return pairs.Select(judge).ToArray();
    }

    /// <summary>Scores the responses by a hash of name and text: each RM prefers its own, text-determined side.</summary>
    public static ScriptedRm Hashing(string name) => new(name, p => RmJudgment.Of(Judgment.FromScores(Score(name, p.ResponseA), Score(name, p.ResponseB))));

    public static double Score(string name, string text) => SHA256.HashData(Encoding.UTF8.GetBytes(name + "|" + text))[0] / 10.0;
}

/// <summary>A running in-process server on a free loopback port with its own state folder and an authorised client.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string Token = "s3cret-test-token-7f1c";
    public required RoutingServer Server { get; init; }
    public required HttpClient Client { get; init; }
    public required string StateDirectory { get; init; }
    public required StringWriter Log { get; init; }
    public bool KeepState { get; init; }

    public static IReadOnlyList<ScriptedRm> Rms(int count = 3) => Enumerable.Range(0, count).Select(n => ScriptedRm.Hashing($"rm{n}")).ToArray();

    public static async Task<TestServer> StartAsync(IReadOnlyList<IRewardModel>? rms = null, string? state = null,
        Func<ServiceOptions, ServiceOptions>? configure = null, long seed = 1)
    {
        rms ??= Rms();
        var dir = state ?? Path.Combine(Path.GetTempPath(), "br-serve-" + Guid.NewGuid().ToString("N")[..8]);
        var log = new StringWriter();
        var options = new ServiceOptions
        {
            Setup = RouterSetup.WithoutOfflineRouter(rms.Select(r => r.Name).ToArray(), encoderDimension: 8, seed),
            RewardModels = rms,
            Embedder = new HashEmbedder(),
            StateDirectory = dir,
            Token = Token,
            Log = log,
            Session = new RoutingSessionOptions { MonteCarloDraws = 200 },
        };
        options = configure?.Invoke(options) ?? options;
        var server = await RoutingServer.StartAsync(options);
        var client = new HttpClient { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return new TestServer { Server = server, Client = client, StateDirectory = dir, Log = log, KeepState = state != null };
    }

    public async Task<JsonObject> PostAsync(string path, object body, int expect = 200)
    {
        using var response = await Client.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expect, $"{path}: HTTP {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task<JsonObject> GetAsync(string path)
    {
        var text = await Client.GetStringAsync(path);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static object Pairs(IEnumerable<(string Id, string Prompt, string A, string B)> pairs) =>
        new { pairs = pairs.Select(p => new { id = p.Id, prompt = p.Prompt, response_a = p.A, response_b = p.B }).ToArray() };

    public static (string, string, string, string)[] MakePairs(int count, string prefix = "p") =>
        Enumerable.Range(0, count).Select(i => ($"{prefix}{i}", $"question {prefix}{i}", $"answer a {i}", $"answer b {i}")).ToArray();

    /// <summary>Stops the server as kill -9 would leave its state (no last checkpoint), keeping the state folder.</summary>
    public async Task CrashAsync()
    {
        Client.Dispose();
        await Server.CrashAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        if (!KeepState)
            try { Directory.Delete(StateDirectory, true); } catch (IOException) { }
    }
}
