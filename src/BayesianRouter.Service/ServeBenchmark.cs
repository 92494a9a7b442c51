using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Service;

/// <summary>Settings of <see cref="ServeBenchmark"/>.</summary>
public sealed record ServeBenchmarkOptions
{
    /// <summary>The encoder with its embedding cache (warmed before timing).</summary>
    public required IPairEmbedder Embedder { get; init; }

    /// <summary>The same encoder without a cache: its time per pair is the baseline (null: not measured).</summary>
    public IPairEmbedder? UncachedEmbedder { get; init; }

    public int Clients { get; init; } = 8;
    public int BatchSize { get; init; } = 64;

    /// <summary>Timed batches per client (each: one /v1/label and one /v1/feedback request).</summary>
    public int Batches { get; init; } = 40;

    /// <summary>Untimed batches per client first (JIT, connections).</summary>
    public int WarmupBatches { get; init; } = 3;

    /// <summary>Distinct pairs the clients cycle through (all embedded before timing: a warm cache).</summary>
    public int DistinctPairs { get; init; } = 512;

    /// <summary>Pairs whose cold encoding time is measured with <see cref="UncachedEmbedder"/>.</summary>
    public int EncoderSample { get; init; } = 64;

    public int Rms { get; init; } = 4;

    /// <summary>
    /// The offline router the service routes with, as <c>serve --router</c> (its pool names the RMs; <see cref="Rms"/> is
    /// then ignored); null: no prior (<see cref="RouterSetup.WithoutOfflineRouter"/> on the raw embeddings).
    /// </summary>
    public OfflineRouter? Router { get; init; }

    /// <summary>The online model on <see cref="Router"/> (null: the live default, <see cref="RouterSetup.DefaultLiveModel"/>).</summary>
    public Routing.OnlineModel? Model { get; init; }
    public LogDurability Durability { get; init; } = LogDurability.Full;
    public int MonteCarloDraws { get; init; }
    public long Seed { get; init; } = 1;

    /// <summary>Where the benchmark's state goes (a new temporary folder when null; removed afterwards).</summary>
    public string? StateDirectory { get; init; }
}

/// <summary>What <see cref="ServeBenchmark"/> measured.</summary>
public sealed record ServeBenchmarkResult(
    int Clients, int BatchSize, long Pairs, double Seconds, double PairsPerSecond,
    double BatchP50Ms, double BatchP99Ms, double LabelP50Ms, double LabelP99Ms, double FeedbackP50Ms, double FeedbackP99Ms,
    double ServiceCpuMicrosecondsPerPair, double ServiceWallMicrosecondsPerPair, double? EncoderMicrosecondsPerPair,
    long DecisionsCommitted, long FeedbackCommitted, string Durability);

/// <summary>
/// <c>bayesrouter bench serve</c>: pairs per second through <c>/v1/label</c> + <c>/v1/feedback</c> of a real
/// <see cref="RoutingServer"/> on loopback with instant in-process RMs and a warm embedding cache, from concurrent
/// clients in the same process, every decision durably committed; and the encoder's cold time per pair in the same
/// process as the baseline. The service's time per pair is bounded above by the process's CPU time per pair (clients
/// included) and by the wall time per pair.
/// </summary>
public static class ServeBenchmark
{
    /// <summary>An RM that answers at once: scores from the responses' lengths.</summary>
    private sealed class InstantRm(string name) : IRewardModel
    {
        public string Name => name;
        public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<RmJudgment>>(pairs.Select(p => RmJudgment.Of(Judgment.FromScores(p.ResponseA.Length % 17, p.ResponseB.Length % 13 + 0.5))).ToArray());
    }

    /// <summary>Synthetic pairs with prompt and response lengths like chat data (a few hundred characters).</summary>
    public static List<PreferencePair> SyntheticPairs(int count, long seed)
    {
        var rng = new Random(unchecked((int)seed));
        string[] words = ["the", "value", "of", "x", "is", "solve", "for", "equation", "we", "get", "therefore", "answer", "step", "first", "then",
            "multiply", "both", "sides", "by", "divide", "sum", "product", "integer", "prime", "function", "derivative", "limit", "graph", "area", "triangle"];
        string Text(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => words[rng.Next(words.Length)]));
        return Enumerable.Range(0, count).Select(i => new PreferencePair
        {
            Id = $"bench-{i}", Group = "", Prompt = $"Problem {i}: " + Text(40 + rng.Next(40)),
            ResponseA = Text(50 + rng.Next(80)), ResponseB = Text(50 + rng.Next(80)),
        }).ToList();
    }

    public static async Task<ServeBenchmarkResult> RunAsync(ServeBenchmarkOptions o, IProgress<string>? log = null)
    {
        if (o.Clients < 1 || o.BatchSize < 1 || o.Batches < 1 || o.WarmupBatches < 0 || o.DistinctPairs < o.BatchSize || (o.Router is null && o.Rms < 2))
            throw new ArgumentException("bench serve: clients, batch, batches >= 1, warm-up >= 0, distinct pairs >= batch, RMs >= 2");
        var pairs = SyntheticPairs(o.DistinctPairs, o.Seed);

        double? encoderUs = null;
        if (o.UncachedEmbedder is { } cold)
        {
            var sample = pairs.Take(Math.Min(o.EncoderSample, pairs.Count)).ToArray();
            cold.Embed(sample.Take(4).ToArray()); // load and JIT before timing
            var clock = Stopwatch.StartNew();
            cold.Embed(sample);
            encoderUs = clock.Elapsed.TotalMicroseconds / sample.Length;
            log?.Report($"encoder, no cache: {encoderUs / 1000:F1} ms per pair ({sample.Length} pairs, 2 texts each)");
        }
        log?.Report($"warming the embedding cache with {pairs.Count} pairs");
        o.Embedder.Embed(pairs);

        var dir = o.StateDirectory ?? Path.Combine(Path.GetTempPath(), "bayesrouter-bench-serve-" + Guid.NewGuid().ToString("N")[..8]);
        var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var names = o.Router?.Pool ?? Enumerable.Range(0, o.Rms).Select(n => $"rm{n}").ToArray();
        var rms = names.Select(n => (IRewardModel)new InstantRm(n)).ToArray();
        var setup = o.Router is null
            ? RouterSetup.WithoutOfflineRouter(names, o.Embedder.Dimension, o.Seed)
            : RouterSetup.FromOfflineRouter(o.Router, o.Seed, new Routing.BayesianRouterOptions { Model = o.Model ?? RouterSetup.DefaultLiveModel });
        try
        {
            await using var server = await RoutingServer.StartAsync(new ServiceOptions
            {
                Setup = setup,
                RewardModels = rms,
                Embedder = o.Embedder,
                StateDirectory = dir,
                Token = token,
                Durability = o.Durability,
                Session = new RoutingSessionOptions { MonteCarloDraws = o.MonteCarloDraws },
                MaxPairsPerRequest = Math.Max(1024, o.BatchSize),
                MaxFeedbackPerRequest = Math.Max(8192, o.BatchSize),
            });
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = o.Clients * 2 };
            var chunks = Enumerable.Range(0, pairs.Count / o.BatchSize).Select(b => pairs.Skip(b * o.BatchSize).Take(o.BatchSize).ToArray()).ToArray();
            // The texts repeat (a warm cache), the ids never do: the service answers a pair id it already decided from its log.
            byte[] Body(PreferencePair[] chunk, string request) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                pairs = chunk.Select(p => new { id = $"{p.Id}-{request}", prompt = p.Prompt, response_a = p.ResponseA, response_b = p.ResponseB }),
            }));

            async Task<List<(double Label, double Feedback)>> Client(int c, int batches)
            {
                using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = server.Address };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                var rng = new Random(c);
                var times = new List<(double, double)>(batches);
                for (int b = 0; b < batches; b++)
                {
                    var body = Body(chunks[(c * 7919 + b) % chunks.Length], $"c{c}b{b}");
                    var t0 = Stopwatch.GetTimestamp();
                    using var label = await http.PostAsync("/v1/label", new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });
                    label.EnsureSuccessStatusCode();
                    using var doc = JsonDocument.Parse(await label.Content.ReadAsStreamAsync());
                    var t1 = Stopwatch.GetTimestamp();
                    var feedback = new StringBuilder("{\"feedback\":[");
                    bool first = true;
                    foreach (var l in doc.RootElement.GetProperty("labels").EnumerateArray())
                    {
                        if (!first) feedback.Append(',');
                        first = false;
                        feedback.Append("{\"decision_id\":\"").Append(l.GetProperty("decision_id").GetString()).Append("\",\"loss\":")
                            .Append((rng.NextDouble() * 2).ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('}');
                    }
                    feedback.Append("]}");
                    using var fb = await http.PostAsync("/v1/feedback", new StringContent(feedback.ToString(), Encoding.UTF8, "application/json"));
                    fb.EnsureSuccessStatusCode();
                    var t2 = Stopwatch.GetTimestamp();
                    times.Add((Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds));
                }
                return times;
            }

            if (o.WarmupBatches > 0) await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(c => Client(c + 1000, o.WarmupBatches)));
            var before = server.Session.Statistics();
            log?.Report($"timing {o.Clients} clients x {o.Batches} batches of {o.BatchSize} pairs");
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var results = await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(c => Client(c, o.Batches)));
            wall.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpu0;
            var after = server.Session.Statistics();
            long pairsTimed = (long)o.Clients * o.Batches * o.BatchSize;
            var all = results.SelectMany(r => r).ToArray();
            double P(IEnumerable<double> xs, double q)
            {
                var s = xs.Order().ToArray();
                return s[Math.Min(s.Length - 1, (int)Math.Ceiling(q * s.Length) - 1)];
            }
            return new ServeBenchmarkResult(o.Clients, o.BatchSize, pairsTimed, wall.Elapsed.TotalSeconds, pairsTimed / wall.Elapsed.TotalSeconds,
                P(all.Select(a => a.Label + a.Feedback), 0.5), P(all.Select(a => a.Label + a.Feedback), 0.99),
                P(all.Select(a => a.Label), 0.5), P(all.Select(a => a.Label), 0.99), P(all.Select(a => a.Feedback), 0.5), P(all.Select(a => a.Feedback), 0.99),
                cpu.TotalMicroseconds / pairsTimed, wall.Elapsed.TotalMicroseconds / pairsTimed, encoderUs,
                after.Decisions - before.Decisions, after.Feedback - before.Feedback, o.Durability.ToString().ToLowerInvariant());
        }
        finally
        {
            if (o.StateDirectory is null)
                try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
