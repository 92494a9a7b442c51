using System.Diagnostics;
using System.Runtime;
using System.Text.Json.Serialization;
using BayesianRouter.Features;

namespace BayesianRouter.Service;

/// <summary>Settings of <see cref="ServeSoak"/>.</summary>
public sealed record ServeSoakOptions
{
    /// <summary>
    /// The service's embedder: for a soak of millions of pairs a fast stand-in encoder (the Encoding package's
    /// <c>SyntheticTextEncoder</c>) through the same bounded embedding cache the real encoder uses.
    /// </summary>
    public required IPairEmbedder Embedder { get; init; }

    /// <summary>The embedding cache's folder, measured as disk; null: the cache is not on disk.</summary>
    public string? CacheFolder { get; init; }

    /// <summary>Fresh pairs sent in all (each a new id and new texts).</summary>
    public long Pairs { get; init; } = 1_000_000;

    public int Clients { get; init; } = 8;
    public int BatchSize { get; init; } = 64;
    public int Rms { get; init; } = 4;
    public LogDurability Durability { get; init; } = LogDurability.Full;
    public int MonteCarloDraws { get; init; }
    public long Seed { get; init; } = 1;

    /// <summary>Feedback batches between checkpoints (as <c>serve --checkpoint-every</c>): each is written from a snapshot while routing goes on.</summary>
    public int CheckpointEveryBatches { get; init; } = 200;

    /// <summary>Each client asks <c>GET /v1/router</c> (the state digest, from a snapshot) every this many of its batches.</summary>
    public int RouterStateEveryBatches { get; init; } = 200;

    /// <summary>Where the state goes (a new temporary folder when null; removed afterwards).</summary>
    public string? StateDirectory { get; init; }

    internal void Validate()
    {
        if (Pairs < 10 || Clients < 1 || BatchSize < 1 || Rms < 2 || CheckpointEveryBatches < 1 || RouterStateEveryBatches < 1)
            throw new ArgumentException("bench serve --soak-pairs: at least 10 pairs; clients, batch, checkpoint and router-state intervals at least 1; RMs at least 2");
    }
}

/// <summary>
/// What <see cref="ServeSoak"/> measured. Memory is the resident set after a full, compacting garbage collection (what
/// the process keeps, not what it has not yet collected); disk is everything but the decision log (the embedding cache,
/// the checkpoint), which is measured apart because it keeps every decision (it grows linearly by design).
/// </summary>
public sealed record ServeSoakResult(
    [property: JsonPropertyName("soak_pairs")] long Pairs,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("pairs_per_second")] double PairsPerSecond,
    [property: JsonPropertyName("rss_mb_at_10pct")] double RssMbAt10Pct,
    [property: JsonPropertyName("rss_mb_at_end")] double RssMbAtEnd,
    [property: JsonPropertyName("rss_end_vs_10pct")] double? RssRatio,
    [property: JsonPropertyName("disk_mb_at_10pct")] double DiskMbAt10Pct,
    [property: JsonPropertyName("disk_mb_at_end")] double DiskMbAtEnd,
    [property: JsonPropertyName("disk_end_vs_10pct")] double? DiskRatio,
    [property: JsonPropertyName("decision_log_mb_at_10pct")] double DecisionLogMbAt10Pct,
    [property: JsonPropertyName("decision_log_mb_at_end")] double DecisionLogMbAtEnd,
    [property: JsonPropertyName("decision_log_bytes_per_decision")] double? DecisionLogBytesPerDecision,
    [property: JsonPropertyName("peak_rss_mb")] double PeakRssMb,
    [property: JsonPropertyName("decisions_committed")] long DecisionsCommitted,
    [property: JsonPropertyName("feedback_committed")] long FeedbackCommitted,
    [property: JsonPropertyName("checkpoints")] long Checkpoints,
    [property: JsonPropertyName("durability")] string Durability);

/// <summary>
/// <c>bayesrouter bench serve --soak-pairs N</c>: N fresh pairs through a real <see cref="RoutingServer"/> (label, then
/// the feedback for them; checkpoints and <c>GET /v1/router</c> along the way) with instant RMs, and the process's
/// resident memory and disk at 10% and at the end of the run: what stays bounded (the embedding cache, the reward
/// history, the checkpoint) must stay flat; the decision log's growth per decision is reported.
/// </summary>
public static class ServeSoak
{
    public static async Task<ServeSoakResult> RunAsync(ServeSoakOptions o, IProgress<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var dir = o.StateDirectory ?? Path.Combine(Path.GetTempPath(), "bayesrouter-soak-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            await using var server = await ServeBenchmark.StartAsync(o.Embedder, null, null, o.Rms, o.Durability, o.MonteCarloDraws, o.Seed, dir, token,
                o.BatchSize, o.CheckpointEveryBatches);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = o.Clients * 2 };
            var clients = Enumerable.Range(0, o.Clients).Select(c => new BenchmarkClient(handler, server.Address, token, c + 1)).ToArray();
            long batches = (o.Pairs + o.BatchSize - 1) / o.BatchSize;
            long tenth = Math.Max(1, batches / 10);
            long next = -1, done = 0;
            (double Rss, double Disk, double Log, long Decisions)? at10 = null;
            var tenthTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = Stopwatch.StartNew();
            async Task Client(BenchmarkClient client)
            {
                long mine = 0;
                for (long b; (b = Interlocked.Increment(ref next)) < batches;)
                {
                    long start = b * o.BatchSize;
                    int count = (int)Math.Min(o.BatchSize, o.Pairs - start);
                    var pairs = new Data.PreferencePair[count];
                    for (int k = 0; k < count; k++) pairs[k] = BenchmarkPairs.Short(start + k, o.Seed);
                    var (ids, _) = await client.LabelAsync(pairs).ConfigureAwait(false);
                    await client.FeedbackAsync(ids).ConfigureAwait(false);
                    if (++mine % o.RouterStateEveryBatches == 0) await client.RouterStateAsync().ConfigureAwait(false);
                    long finished = Interlocked.Increment(ref done);
                    if (finished == tenth)
                    {
                        at10 = Measure(dir, o.CacheFolder, server);
                        log?.Report($"10%: {finished * o.BatchSize} pairs in {clock.Elapsed.TotalSeconds:F0} s; resident {at10.Value.Rss:F0} MB, disk {at10.Value.Disk:F1} MB, decision log {at10.Value.Log:F1} MB");
                        tenthTaken.TrySetResult();
                    }
                    else if (finished % tenth == 0) log?.Report($"{100 * finished / batches}%: {finished * o.BatchSize} pairs in {clock.Elapsed.TotalSeconds:F0} s");
                }
            }
            await Task.WhenAll(clients.Select(Client));
            double seconds = clock.Elapsed.TotalSeconds;
            await tenthTaken.Task;
            foreach (var c in clients) c.Dispose();
            await server.CheckpointAsync(wait: true);
            var end = Measure(dir, o.CacheFolder, server);
            log?.Report($"end: {o.Pairs} pairs in {seconds:F0} s; resident {end.Rss:F0} MB, disk {end.Disk:F1} MB, decision log {end.Log:F1} MB");
            var first = at10!.Value;
            var stats = server.Session.Statistics();
            // the log's growth per decision between 10% and the end (its fixed part, tables and indexes, left out)
            double? perDecision = end.Decisions > first.Decisions ? (end.Log - first.Log) * (1 << 20) / (end.Decisions - first.Decisions) : null;
            using var process = Process.GetCurrentProcess();
            return new ServeSoakResult(o.Pairs, seconds, o.Pairs / seconds,
                first.Rss, end.Rss, first.Rss > 0 ? end.Rss / first.Rss : null, first.Disk, end.Disk, first.Disk > 0 ? end.Disk / first.Disk : null,
                first.Log, end.Log, perDecision, process.PeakWorkingSet64 / (double)(1 << 20),
                stats.Decisions, stats.Feedback, server.Session.FeedbackBatches / o.CheckpointEveryBatches, o.Durability.ToString().ToLowerInvariant());
        }
        finally
        {
            if (o.StateDirectory is null)
                try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Resident MB after a full compacting collection; disk MB without the decision log; the decision log's MB; decisions so far.</summary>
    private static (double Rss, double Disk, double Log, long Decisions) Measure(string stateDirectory, string? cacheFolder, RoutingServer server)
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        double rss = process.WorkingSet64 / (double)(1 << 20);
        long log = 0, other = 0;
        foreach (var f in new DirectoryInfo(stateDirectory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            try
            {
                if (f.Name.StartsWith(SqliteDecisionStore.FileName, StringComparison.Ordinal)) log += f.Length;
                else other += f.Length;
            }
            catch (IOException) { }
        }
        if (cacheFolder != null && Directory.Exists(cacheFolder))
            foreach (var f in new DirectoryInfo(cacheFolder).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                try { other += f.Length; }
                catch (IOException) { }
            }
        return (rss, other / (double)(1 << 20), log / (double)(1 << 20), server.Session.Statistics().Decisions);
    }
}
