using System.Diagnostics;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Service;

/// <summary>Settings of <see cref="ServeBenchmark"/>.</summary>
public sealed record ServeBenchmarkOptions
{
    /// <summary>The service's embedder: the shared encoder with its embedding cache (the cold pairs are new to it).</summary>
    public required IPairEmbedder Embedder { get; init; }

    /// <summary>
    /// The same encoder without the cache and without the service (null: not measured): all the texts of
    /// <see cref="EncoderPairs"/> fresh pairs in one call, its own best batching: the baseline of the cold figure.
    /// </summary>
    public IPairEmbedder? EncoderAlone { get; init; }

    /// <summary>Concurrent clients, each sending a label request and then its feedback, one batch after the other.</summary>
    public int Clients { get; init; } = 8;

    /// <summary>Pairs per label request.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Timed cold batches per client: every pair new (new prompt and responses).</summary>
    public int Batches { get; init; } = 4;

    /// <summary>Untimed cold batches per client first, of at most 4 pairs each (JIT, connections, the encoder's first calls).</summary>
    public int WarmupBatches { get; init; } = 1;

    /// <summary>Timed warm batches per client after the cold phase: new pair ids whose texts the cache already holds (the cold phase's).</summary>
    public int WarmBatches { get; init; } = 40;

    /// <summary>Fresh pairs the encoder alone encodes, before and after the service runs (the faster run is the baseline); 0: skip.</summary>
    public int EncoderPairs { get; init; } = 64;

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

    internal void Validate()
    {
        if (Clients < 1 || BatchSize < 1 || Batches < 1 || WarmupBatches < 0 || WarmBatches < 0 || EncoderPairs < 0 || (Router is null && Rms < 2))
            throw new ArgumentException("bench serve: clients, batch and batches must be at least 1, warm-up, warm batches and encoder pairs at least 0, RMs at least 2");
    }
}

/// <summary>What <see cref="ServeBenchmark"/> measured (JSON: snake_case of the names).</summary>
/// <param name="ColdPairsPerSecond">Fresh pairs per second through label + feedback: the headline.</param>
/// <param name="P50Ms">Median latency of a cold label request (encoding, routing, RM calls, commit).</param>
/// <param name="P99Ms">99th percentile of the same.</param>
/// <param name="EncoderPairsPerSecond">The encoder alone on fresh pairs (no service, no cache), the faster of its runs: the ceiling of the cold figure.</param>
/// <param name="ColdVsEncoder">ColdPairsPerSecond / EncoderPairsPerSecond (target at least 0.7).</param>
/// <param name="WarmPairsPerSecond">New pair ids whose texts the cache holds: the service without the encoder.</param>
public sealed record ServeBenchmarkResult(
    int Clients, int BatchSize,
    long ColdPairs, double ColdSeconds, double ColdPairsPerSecond, double P50Ms, double P99Ms, double FeedbackP50Ms, double FeedbackP99Ms,
    double ColdCpuMicrosecondsPerPair,
    int EncoderPairs, double? EncoderPairsPerSecond, IReadOnlyList<double> EncoderRunsPairsPerSecond, double? ColdVsEncoder,
    long WarmPairs, double WarmSeconds, double WarmPairsPerSecond, double WarmP50Ms, double WarmP99Ms, double WarmCpuMicrosecondsPerPair,
    long DecisionsCommitted, long FeedbackCommitted, string Durability);

/// <summary>
/// <c>bayesrouter bench serve</c>: a real <see cref="RoutingServer"/> on loopback (SQLite log, every decision and
/// feedback item committed before its response) with instant in-process RMs, driven by concurrent clients in the same
/// process, each sending a label request and then the feedback (DPO losses) for it, one batch after another.
/// <list type="number">
/// <item>the encoder alone: the texts of fresh pairs in one call (no service, no cache);</item>
/// <item>cold (the headline): every pair new, as in online RLHF, so every text is encoded;</item>
/// <item>the encoder alone again (the faster of the two runs is the baseline: other load on the machine only lowers it);</item>
/// <item>warm: new pair ids whose texts the cache holds (the cold phase's): what the service costs around the encoder.</item>
/// </list>
/// </summary>
public static class ServeBenchmark
{
    public static async Task<ServeBenchmarkResult> RunAsync(ServeBenchmarkOptions o, IProgress<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        long next = 0; // index of the next fresh pair
        PreferencePair[] Take(int n)
        {
            var pairs = BenchmarkPairs.Range(next, n, o.Seed);
            next += n;
            return pairs;
        }

        var encoderRuns = new List<double>();
        void EncoderAlone(string when)
        {
            if (o.EncoderAlone is not { } alone || o.EncoderPairs == 0) return;
            var pairs = Take(o.EncoderPairs);
            log?.Report($"encoder alone ({when}): {pairs.Length} fresh pairs ({2 * pairs.Length} texts) in one call, no service, no cache");
            var clock = Stopwatch.StartNew();
            alone.Embed(pairs);
            double rate = pairs.Length / clock.Elapsed.TotalSeconds;
            encoderRuns.Add(rate);
            log?.Report($"encoder alone ({when}): {rate:F1} pairs/s");
        }

        if (o.EncoderAlone is { } warmEncoder) warmEncoder.Embed(Take(2)); // load and JIT before timing
        EncoderAlone("before");

        var dir = o.StateDirectory ?? Path.Combine(Path.GetTempPath(), "bayesrouter-bench-serve-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            await using var server = await StartAsync(o.Embedder, o.Router, o.Model, o.Rms, o.Durability, o.MonteCarloDraws, o.Seed, dir, token, o.BatchSize);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = o.Clients * 2 };
            var clients = Enumerable.Range(0, o.Clients).Select(c => new BenchmarkClient(handler, server.Address, token, c + 1)).ToArray();
            try
            {
                // cold: each client's batches are fresh pairs, handed out in order
                var cold = new List<PreferencePair>();
                PreferencePair[][] Batches(int perClient, int size)
                {
                    var batches = Enumerable.Range(0, o.Clients * perClient).Select(_ => Take(size)).ToArray();
                    foreach (var b in batches) cold.AddRange(b);
                    return batches;
                }
                int warmupSize = Math.Min(4, o.BatchSize);
                log?.Report($"cold warm-up: {o.Clients} clients x {o.WarmupBatches} batches of {warmupSize} fresh pairs");
                await Drive(clients, Batches(o.WarmupBatches, warmupSize), o.Clients);
                var before = server.Session.Statistics();
                log?.Report($"cold: {o.Clients} clients x {o.Batches} batches of {o.BatchSize} fresh pairs");
                var coldRun = await Timed(clients, Batches(o.Batches, o.BatchSize), o.Clients);
                log?.Report($"cold: {coldRun.Pairs / coldRun.Seconds:F1} pairs/s");

                EncoderAlone("after");

                // warm: new ids, texts the cache holds
                int warmCount = o.Clients * o.WarmBatches;
                var warmBatches = Enumerable.Range(0, warmCount).Select(b => Enumerable.Range(0, o.BatchSize).Select(k =>
                {
                    var source = cold[(b * o.BatchSize + k) % cold.Count];
                    return source with { Id = $"warm-{b}-{k}" };
                }).ToArray()).ToArray();
                log?.Report($"warm: {o.Clients} clients x {o.WarmBatches} batches of {o.BatchSize} pairs whose texts are cached");
                var warmRun = warmCount == 0 ? new Run(0, 1e-9, [], [], 0) : await Timed(clients, warmBatches, o.Clients);
                var after = server.Session.Statistics();

                double? encoder = encoderRuns.Count > 0 ? encoderRuns.Max() : null;
                double coldRate = coldRun.Pairs / coldRun.Seconds;
                return new ServeBenchmarkResult(o.Clients, o.BatchSize,
                    coldRun.Pairs, coldRun.Seconds, coldRate,
                    BenchmarkClient.Quantile(coldRun.LabelMs, 0.5), BenchmarkClient.Quantile(coldRun.LabelMs, 0.99),
                    BenchmarkClient.Quantile(coldRun.FeedbackMs, 0.5), BenchmarkClient.Quantile(coldRun.FeedbackMs, 0.99),
                    coldRun.CpuSeconds * 1e6 / coldRun.Pairs,
                    o.EncoderAlone is null ? 0 : o.EncoderPairs, encoder, encoderRuns, encoder is { } e ? coldRate / e : null,
                    warmRun.Pairs, warmRun.Seconds, warmRun.Pairs / warmRun.Seconds,
                    BenchmarkClient.Quantile(warmRun.LabelMs, 0.5), BenchmarkClient.Quantile(warmRun.LabelMs, 0.99),
                    warmRun.Pairs == 0 ? 0 : warmRun.CpuSeconds * 1e6 / warmRun.Pairs,
                    after.Decisions - before.Decisions, after.Feedback - before.Feedback, o.Durability.ToString().ToLowerInvariant());
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
        }
        finally
        {
            if (o.StateDirectory is null)
                try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private sealed record Run(long Pairs, double Seconds, List<double> LabelMs, List<double> FeedbackMs, double CpuSeconds);

    /// <summary>The clients work through the batches (each takes the next one when done with its last), timed.</summary>
    private static async Task<Run> Timed(BenchmarkClient[] clients, PreferencePair[][] batches, int count)
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var (label, feedback) = await Drive(clients, batches, count);
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return new Run(batches.Sum(b => (long)b.Length), seconds, label, feedback, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }

    private static async Task<(List<double> Label, List<double> Feedback)> Drive(BenchmarkClient[] clients, PreferencePair[][] batches, int count)
    {
        int nextBatch = -1;
        var label = new List<double>();
        var feedback = new List<double>();
        async Task Client(BenchmarkClient client)
        {
            for (int b; (b = Interlocked.Increment(ref nextBatch)) < batches.Length;)
            {
                var (ids, labelMs) = await client.LabelAsync(batches[b]).ConfigureAwait(false);
                double feedbackMs = await client.FeedbackAsync(ids).ConfigureAwait(false);
                lock (label)
                {
                    label.Add(labelMs);
                    feedback.Add(feedbackMs);
                }
            }
        }
        await Task.WhenAll(clients.Take(count).Select(Client));
        return (label, feedback);
    }

    /// <summary>An RM that answers at once: scores from the responses' lengths.</summary>
    private sealed class InstantRm(string name) : IRewardModel
    {
        public string Name => name;
        public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<RmJudgment>>(pairs.Select(p => RmJudgment.Of(Judgment.FromScores(p.ResponseA.Length % 17, p.ResponseB.Length % 13 + 0.5))).ToArray());
    }

    /// <summary>Starts the server the benchmarks measure: instant RMs, the given embedder and router, a token.</summary>
    internal static Task<RoutingServer> StartAsync(IPairEmbedder embedder, OfflineRouter? router, Routing.OnlineModel? model, int rmCount,
        LogDurability durability, int draws, long seed, string dir, string token, int batchSize, int checkpointEvery = 200)
    {
        var names = router?.Pool ?? Enumerable.Range(0, rmCount).Select(n => $"rm{n}").ToArray();
        var setup = router is null
            ? RouterSetup.WithoutOfflineRouter(names, embedder.Dimension, seed)
            : RouterSetup.FromOfflineRouter(router, seed, new Routing.BayesianRouterOptions { Model = model ?? RouterSetup.DefaultLiveModel });
        return RoutingServer.StartAsync(new ServiceOptions
        {
            Setup = setup,
            RewardModels = names.Select(n => (IRewardModel)new InstantRm(n)).ToArray(),
            Embedder = embedder,
            StateDirectory = dir,
            Token = token,
            Durability = durability,
            Session = new RoutingSessionOptions { MonteCarloDraws = draws },
            MaxPairsPerRequest = Math.Max(1024, batchSize),
            MaxFeedbackPerRequest = Math.Max(8192, batchSize),
            CheckpointEveryBatches = checkpointEvery,
        });
    }
}
