using System.Diagnostics;
using BayesianRouter.Data;
using BayesianRouter.Data.Splits;
using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Simulation;

/// <summary>
/// The controlled simulation (paper section 4.3, Tables 3, 6, 7): replay pairs with known ground truth, let every
/// method pick RMs, and count how often the picked RM labels the pair correctly.
/// Per seed: split groups into an offline part (trains the offline router) and an online stream, shuffle the stream,
/// cut it into batches, and replay the same batches through every method.
/// </summary>
public sealed class SimulationRunner(
    IPairEmbedder embedder, IOfflineRouterTrainer trainer, IProgress<string>? log = null,
    Func<SeedContext, IReadOnlyList<AnnotationMethod>>? methods = null)
{
    private readonly Func<SeedContext, IReadOnlyList<AnnotationMethod>> _methods = methods ?? SimulationMethods.Create;

    /// <summary>Runs the simulation. <paramref name="offlinePairs"/>, when given, trains the offline router instead of a split of <paramref name="pairs"/>.</summary>
    public SimulationResult Run(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PreferencePair>? offlinePairs, SimulationOptions options)
    {
        options.Validate();
        var online = WithTruth(pairs, out int withoutTruth);
        var offline = offlinePairs == null ? null : WithTruth(offlinePairs, out _);
        CheckPool(online, options.Pool, "the online pairs");
        if (offline != null) CheckPool(offline, options.Pool, "the offline pairs");
        if (online.Count == 0) throw new ArgumentException("no pair with a known ground truth (\"preferred\") to replay");

        var clock = Stopwatch.StartNew();
        log?.Report($"embedding {online.Count + (offline?.Count ?? 0)} pairs with {embedder.EncoderId}");
        var onlineEmb = embedder.Embed(online, EmbeddingProgress("online"));
        var offlineEmb = offline == null ? null : embedder.Embed(offline, EmbeddingProgress("offline"));
        log?.Report($"embedded in {clock.Elapsed.TotalSeconds:F1} s");

        var runs = new List<SeedRun>();
        var info = new Dictionary<string, string>();
        foreach (var seed in options.Seeds)
        {
            var run = RunSeed(seed, online, onlineEmb, offline, offlineEmb, options);
            runs.Add(run);
            info[$"seed {seed}"] = $"offline pairs {run.OfflineCount}, online pairs {run.Stream.Count}";
            log?.Report($"seed {seed}: {run.OfflineCount} offline / {run.Stream.Count} online pairs, " +
                        $"bayesian-router {Accuracy(run, "bayesian-router"):F4}, best single {BestSingleAccuracy(run):F4} " +
                        $"({clock.Elapsed.TotalSeconds:F1} s)");
        }
        return SimulationAggregator.Aggregate(runs, options, offline != null, withoutTruth, info);
    }

    /// <summary>Embedding progress as a log line per tenth of the pairs.</summary>
    private IProgress<(int Done, int Total)>? EmbeddingProgress(string what)
    {
        if (log == null) return null;
        int last = -1;
        return new InlineProgress<(int Done, int Total)>(p =>
        {
            int tenth = p.Total == 0 ? 10 : (int)(10L * p.Done / p.Total);
            if (tenth == last) return;
            last = tenth;
            log.Report($"embedding {what} pairs: {p.Done}/{p.Total}");
        });
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static double Accuracy(SeedRun run, string method) =>
        run.Outcomes.TryGetValue(method, out var o) ? o.Average(x => x.Correct ? 1.0 : 0.0) : double.NaN;

    private static double BestSingleAccuracy(SeedRun run) =>
        run.Kinds.Where(k => k.Value == MethodKind.Single).Max(k => Accuracy(run, k.Key));

    private SeedRun RunSeed(int seed, List<PreferencePair> online, IReadOnlyList<PairEmbedding> onlineEmb,
        List<PreferencePair>? offline, IReadOnlyList<PairEmbedding>? offlineEmb, SimulationOptions options)
    {
        // 1. The offline part and the online stream.
        IReadOnlyList<PreferencePair> trainPairs, streamPairs;
        IReadOnlyList<PairEmbedding> trainEmb, streamEmb;
        if (offline != null)
        {
            (trainPairs, trainEmb, streamPairs, streamEmb) = (offline, offlineEmb!, online, onlineEmb);
        }
        else
        {
            double heldOut = 1 - options.OfflineFraction;
            var split = options.Split == SplitKind.Domain
                ? GroupSplit.ByDomain(online, heldOut, seed)
                : GroupSplit.ByFraction(online, heldOut, seed);
            (trainPairs, trainEmb) = (split.TrainOf(online), split.TrainOf(onlineEmb));
            (streamPairs, streamEmb) = (split.TestOf(online), split.TestOf(onlineEmb));
        }
        if (trainPairs.Count == 0 || streamPairs.Count == 0)
            throw new ArgumentException($"seed {seed}: the split left {trainPairs.Count} offline and {streamPairs.Count} online pairs; both need some");

        // 2. The offline router of this seed.
        var router = trainer.Train(trainPairs, trainEmb, options.Pool,
            options.Offline with { Seed = seed, EncoderId = embedder.EncoderId, MaxTokens = embedder.MaxTokens }, log);

        // 3. The stream: shuffled once, then the same batches for every method.
        var order = Enumerable.Range(0, streamPairs.Count).ToArray();
        new Random(SeedFor(seed, "stream")).Shuffle(order);
        var pairs = order.Select(i => streamPairs[i]).ToArray();
        var features = order.Select(i => router.Features(streamEmb[i], streamPairs[i].Domain)).ToArray();
        var projection = new RandomProjection(2 * router.EncoderDimension, router.FusedDimension, SeedFor(seed, "projection"));
        var raw = order.Select(i => projection.Apply(streamEmb[i].FusionInput())).ToArray();

        var methods = _methods(new SeedContext(seed, options, router, raw[0].Length));
        var outcomes = new Dictionary<string, PairOutcome[]>(StringComparer.Ordinal);
        var results = new PairOutcome[methods.Count][];
        // Methods are independent (each owns its generators), so they replay in parallel; results do not depend on it.
        Parallel.For(0, methods.Count, m => results[m] = Replay(methods[m], pairs, features, raw, options.BatchSize));
        for (int m = 0; m < methods.Count; m++) outcomes[methods[m].Name] = results[m];
        return new SeedRun(seed, trainPairs.Count, pairs, outcomes, methods.ToDictionary(m => m.Name, m => m.Kind));
    }

    /// <summary>Replays the stream through one method, batch by batch.</summary>
    public static PairOutcome[] Replay(AnnotationMethod method, IReadOnlyList<PreferencePair> pairs,
        IReadOnlyList<double[]> features, IReadOnlyList<double[]> raw, int batchSize)
    {
        var outcomes = new PairOutcome[pairs.Count];
        for (int start = 0; start < pairs.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, pairs.Count - start);
            var batch = new SimulationBatch
            {
                Pairs = Slice(pairs, start, count),
                Features = Slice(features, start, count),
                RawFeatures = Slice(raw, start, count),
            };
            method.Annotate(batch, outcomes.AsSpan(start, count));
        }
        return outcomes;
    }

    private static T[] Slice<T>(IReadOnlyList<T> list, int start, int count)
    {
        var a = new T[count];
        for (int i = 0; i < count; i++) a[i] = list[start + i];
        return a;
    }

    /// <summary>A seed for one purpose of one run, so adding a method never changes the draws of another.</summary>
    public static int SeedFor(int seed, string purpose) =>
        Convert.ToInt32(StableHash.Hex($"{seed}/{purpose}", 8), 16) & int.MaxValue;

    private static List<PreferencePair> WithTruth(IReadOnlyList<PreferencePair> pairs, out int without)
    {
        var kept = pairs.Where(p => p.Preferred != null).ToList();
        without = pairs.Count - kept.Count;
        return kept;
    }

    private static void CheckPool(List<PreferencePair> pairs, IReadOnlyList<string> pool, string where)
    {
        var missing = PoolCoverage.Unjudged(pairs, pool);
        if (missing.Count > 0)
            throw new ArgumentException($"RM \"{missing[0]}\" of the pool has no judgment in {where}; RMs there: {string.Join(", ", PoolCoverage.JudgedRms(pairs).Take(30))}");
    }
}

/// <summary>Everything one seed's run produced: the stream in replay order and each method's outcome per pair.</summary>
public sealed record SeedRun(
    int Seed, int OfflineCount, IReadOnlyList<PreferencePair> Stream,
    IReadOnlyDictionary<string, PairOutcome[]> Outcomes, IReadOnlyDictionary<string, MethodKind> Kinds);

/// <summary>What the method catalogue needs to build one seed's methods.</summary>
public sealed record SeedContext(int Seed, SimulationOptions Options, OfflineRouter OfflineRouter, int RawDimension);
