using System.Diagnostics;
using BayesianRouter.Data;
using BayesianRouter.Data.Splits;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using BayesianRouter.Routing;

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
        if (pairs.Count == 0) throw new ArgumentException("the pair file holds no pair to replay");
        var online = WithTruth(pairs, out int withoutTruth);
        if (online.Count == 0)
            throw new ArgumentException($"none of the {pairs.Count} pairs has a ground truth (\"preferred\": \"a\" or \"b\"): the simulation scores RMs against it");
        var offline = offlinePairs == null ? null : WithTruth(offlinePairs, out _);
        if (offlinePairs != null && offline!.Count == 0)
            throw new ArgumentException($"none of the {offlinePairs.Count} offline pairs has a ground truth (\"preferred\") to train on");
        CheckPool(online, options.Pool, "the online pairs with a ground truth");
        if (offline != null) CheckPool(offline, options.Pool, "the offline pairs with a ground truth");

        var clock = Stopwatch.StartNew();
        log?.Report($"embedding {online.Count + (offline?.Count ?? 0)} pairs with {embedder.EncoderId}");
        var onlineEmb = embedder.Embed(online, EmbeddingProgress(offline == null ? "pairs (offline and online parts)" : "online pairs (--pairs)"));
        var offlineEmb = offline == null ? null : embedder.Embed(offline, EmbeddingProgress("offline pairs (--offline-pairs)"));
        log?.Report($"embedded in {clock.Elapsed.TotalSeconds:F1} s");

        var runs = new List<SeedRun>();
        var info = new Dictionary<string, string>();
        foreach (var seed in options.Seeds)
        {
            var run = RunSeed(seed, online, onlineEmb, offline, offlineEmb, options);
            runs.Add(run);
            info[$"seed {seed}"] = $"offline pairs {run.OfflineCount}, online pairs {run.Stream.Count} in {run.Batches} batches; offline router: {run.OfflineChoice}";
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
            log.Report($"embedding the {what}: {p.Done}/{p.Total}");
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

        // 2. The offline router of this seed: hyper-parameters chosen and the online stage calibrated on a validation
        //    part of the offline side only (nested), then retrained on the whole offline side.
        var baseOptions = options.Offline with { Seed = seed, EncoderId = embedder.EncoderId, MaxTokens = embedder.MaxTokens };
        var candidates = NestedSelection.Grid(baseOptions, options.TuneEmbeddingScales, options.TuneEpochs);
        var validationSplit = offline == null && options.Split == SplitKind.Domain ? SplitKind.Domain : SplitKind.Group;
        var nested = NestedSelection.Run(trainer, trainPairs, trainEmb, options.Pool, candidates, validationSplit, options.TuneShare, seed);
        var router = nested.Router;

        // 3. The stream: ordered once, cut into batches, the same batches for every method.
        var (order, bounds) = StreamBatches(streamPairs, options, seed);
        var pairs = order.Select(i => streamPairs[i]).ToArray();
        var features = order.Select(i => router.Features(streamEmb[i], streamPairs[i].Domain)).ToArray();
        IReadOnlyList<double[]> raw = features;
        if (options.BaselineFeatures == BaselineFeatures.RandomProjection)
        {
            var projection = new RandomProjection(2 * router.EncoderDimension, router.FusedDimension, SeedFor(seed, "projection"));
            raw = order.Select(i => projection.Apply(streamEmb[i].FusionInput())).ToArray();
        }

        var (onlineModel, onlineChoice) = options.ChooseOnlineModel ? ChooseOnline(nested, options, seed) : (options.Online, "fixed");
        var plans = BudgetPlan.ForSeed(nested, trainPairs, trainEmb, options, onlineModel, seed);
        // The threshold baseline reads the router its threshold was set with (the nested one, on held-out margins).
        var marginRouter = nested.Validation.Count > 0 && nested.NestedRouter != null ? nested.NestedRouter : router;
        var marginFeatures = plans.Count == 0 ? null
            : order.Select(i => (streamPairs[i].Id, marginRouter.Features(streamEmb[i], streamPairs[i].Domain))).ToDictionary(x => x.Id, x => x.Item2, StringComparer.Ordinal);
        var methods = _methods(new SeedContext(seed, options, router, raw[0].Length, nested.Calibration)
        {
            Online = onlineModel, Budgets = plans, MarginRouter = marginRouter, MarginFeatures = marginFeatures,
            Training = ArmAccuracies.Of(trainPairs, options.Pool),
        });
        var outcomes = new Dictionary<string, PairOutcome[]>(StringComparer.Ordinal);
        var results = new PairOutcome[methods.Count][];
        // Methods are independent (each owns its generators), so they replay in parallel; results do not depend on it.
        Parallel.For(0, methods.Count, m => results[m] = Replay(methods[m], pairs, features, raw, bounds));
        for (int m = 0; m < methods.Count; m++) outcomes[methods[m].Name] = results[m];
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var single = nested.Router.Metadata.TryGetValue("nested.single_rm", out var rm) ? rm : null;
        var singleAccuracy = nested.Router.Metadata.TryGetValue("nested.single_validation_accuracy", out var sa) ? double.Parse(sa, System.Globalization.NumberStyles.Float, inv) : double.NaN;
        var chosen = string.Create(inv, $"embedding scale {nested.Chosen.EmbeddingScale}, {nested.Chosen.Epochs} epochs (validation accuracy " +
            $"{(nested.ValidationAccuracy.Count > 0 ? nested.ValidationAccuracy.Max() : double.NaN):F4} on {nested.ValidationPairs} pairs")
            + (single == null ? "" : string.Create(inv, $"; best single RM of the offline side {single} {singleAccuracy:F4}")) + "); "
            + IncumbentDescription(nested)
            + string.Create(inv, $"calibration a={nested.Calibration.Scale:G4} c={nested.Calibration.Offset:G4}; {nested.Calibration.Levels}; online model: {onlineChoice}")
            + string.Concat(plans.Select(p => "; " + p.Description));
        return new SeedRun(seed, trainPairs.Count, pairs, outcomes, methods.ToDictionary(m => m.Name, m => m.Kind), chosen, bounds.Count - 1)
        {
            BudgetOf = methods.Where(m => m.Budget.HasValue).ToDictionary(m => m.Name, m => m.Budget!.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>What the seed's offline artifact routes by, and the validation part's lower bounds that chose it (report.md).</summary>
    public static string IncumbentDescription(NestedSelectionResult nested)
    {
        var meta = nested.Router.Metadata;
        string Bound(string key) => meta.TryGetValue(key, out var v)
            ? double.Parse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture).ToString("+0.0000;-0.0000", System.Globalization.CultureInfo.InvariantCulture)
            : "n/a";
        string bounds = $" (advantage over the best single RM on the validation part, mean and one-sided 95% lower bound: router {Bound("nested.router_advantage")} less {(meta.TryGetValue("nested.selection_optimism", out var o) ? double.Parse(o, System.Globalization.CultureInfo.InvariantCulture).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "n/a")} of optimism, {Bound("nested.router_advantage_lower95")}; per-domain table {Bound("nested.table_advantage")}, {Bound("nested.table_advantage_lower95")}; {(meta.TryGetValue("nested.router_advantage_clusters", out var c) ? c : "n/a")} clusters)";
        return nested.Incumbent switch
        {
            OfflineIncumbent.DomainTable => "incumbent: the per-domain table " + string.Join(", ", nested.Router.DomainTablePicks!.Select(kv => $"{kv.Key}={kv.Value}")) + bounds + "; ",
            OfflineIncumbent.BestSingle => $"incumbent: the best single RM {nested.Router.ShrunkTo}" + bounds + "; ",
            _ => meta.ContainsKey("nested.incumbent") ? "incumbent: the router" + bounds + "; " : "",
        };
    }

    /// <summary>
    /// The online models the validation replay chooses among, simplest first: a richer model must label the validation
    /// part strictly better to be chosen (on a tie the simpler one stays).
    /// </summary>
    public static IReadOnlyList<(string Name, BayesianRouterOptions Options)> OnlineCandidates(BayesianRouterOptions online) =>
    [
        ("paper", online with { Model = OnlineModel.Paper }),
        ("hierarchical without prompt level", online with { Model = OnlineModel.Hierarchical, UsePrompt = false }),
        ("hierarchical", online with { Model = OnlineModel.Hierarchical, UsePrompt = true }),
    ];

    /// <summary>
    /// Replays the validation part of the offline side (as the nested router, which never trained on it, sees it) as a
    /// stream with the run's feedback and batches, once per candidate online model; returns the most accurate.
    /// </summary>
    public static (BayesianRouterOptions Chosen, string Report) ChooseOnline(NestedSelectionResult nested, SimulationOptions options, int seed)
    {
        if (nested.Validation.Count == 0 || nested.NestedRouter is null) return (options.Online, "no validation part: the default");
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        (BayesianRouterOptions Options, double Accuracy, string Name)? best = null;
        var report = new List<string>();
        foreach (var (name, candidate) in OnlineCandidates(options.Online))
        {
            double accuracy = ReplayValidation(nested, options, seed, name, candidate).Accuracy;
            report.Add(string.Create(inv, $"{name} {accuracy:F4}"));
            if (best == null || accuracy > best.Value.Accuracy + 1e-12) best = (candidate, accuracy, name);
        }
        return (best!.Value.Options, $"{best.Value.Name} (validation replay: {string.Join(", ", report)})");
    }

    /// <summary>
    /// Replays the validation part of the offline side (as the nested router, which never trained on it, sees it) as a
    /// stream with the run's feedback and batches through the bayesian-router of <paramref name="online"/> (seeded by
    /// <paramref name="name"/>), optionally wrapped (e.g. under a budget); returns its accuracy and mean cost per pair.
    /// </summary>
    public static (double Accuracy, double CostPerPair) ReplayValidation(NestedSelectionResult nested, SimulationOptions options, int seed,
        string name, BayesianRouterOptions online, Func<IThompsonRouter, IRouter>? wrap = null)
    {
        var val = nested.Validation;
        var router = nested.NestedRouter ?? throw new ArgumentException("the nested choice kept no router for its validation part");
        var (order, bounds) = StreamBatches(val, options, SeedFor(seed, "validation-replay"));
        var pairs = order.Select(i => val[i]).ToArray();
        var features = order.Select(i => router.Features(nested.ValidationEmbeddings[i], val[i].Domain)).ToArray();
        var costs = options.Pool.Select(options.CostOf).ToArray();
        var factory = new BayesianRouterFactory(router, online with
        {
            Calibration = nested.Calibration, UseDomain = online.UseDomain && options.Offline.UseDomain,
        });
        var inner = factory.Create(SeedFor(seed, "validation/" + name));
        var r = wrap == null ? inner : wrap((IThompsonRouter)inner);
        var method = new RoutedMethod(name, MethodKind.Router, r, true,
            b => b.Pairs.Select((p, i) => factory.Features(inner, b.Features[i], p.Domain, p.Group)).ToArray(),
            options.Pool, costs, options.Feedback, new Random(SeedFor(seed, "validation/" + name + "/feedback")), seed);
        var outcomes = Replay(method, pairs, features, features, bounds);
        return (outcomes.Average(o => o.Correct ? 1.0 : 0.0), outcomes.Average(o => o.Cost));
    }

    /// <summary>
    /// The stream's replay order and its batch boundaries (batch b is order[bounds[b] .. bounds[b + 1])), by
    /// <see cref="SimulationOptions.Composition"/>, for <see cref="SimulationOptions.EpochsOnline"/> passes: each epoch
    /// holds every pair once, in a fresh seeded order, and no batch spans two epochs.
    /// </summary>
    public static (int[] Order, IReadOnlyList<int> Bounds) StreamBatches(IReadOnlyList<PreferencePair> stream, SimulationOptions options, int seed)
    {
        var rng = new Random(SeedFor(seed, "stream"));
        var bounds = new List<int> { 0 };
        var list = new List<int>(stream.Count * options.EpochsOnline);
        for (int epoch = 0; epoch < options.EpochsOnline; epoch++)
        {
            if (options.Composition == BatchComposition.Shuffled)
            {
                var order = Enumerable.Range(0, stream.Count).ToArray();
                rng.Shuffle(order);
                foreach (var batch in order.Chunk(options.BatchSize))
                {
                    list.AddRange(batch);
                    bounds.Add(list.Count);
                }
                continue;
            }
            // P prompts x K pairs: each prompt's pairs shuffled and chunked by K; round e visits the prompts with an e-th chunk.
            var groups = stream.Select((p, i) => (p.Group, i)).GroupBy(x => x.Group, StringComparer.Ordinal)
                .Select(g => g.Select(x => x.i).ToArray()).ToList();
            var chunks = groups.Select(g =>
            {
                rng.Shuffle(g);
                return g.Chunk(options.PairsPerPrompt == SimulationOptions.AllPairs ? Math.Max(1, g.Length) : options.PairsPerPrompt).ToArray();
            }).ToList();
            for (int round = 0; ; round++)
            {
                var visiting = Enumerable.Range(0, chunks.Count).Where(g => chunks[g].Length > round).ToArray();
                if (visiting.Length == 0) break;
                rng.Shuffle(visiting);
                foreach (var batch in visiting.Chunk(options.PromptsPerBatch))
                {
                    foreach (var g in batch) list.AddRange(chunks[g][round]);
                    bounds.Add(list.Count);
                }
            }
        }
        return (list.ToArray(), bounds);
    }

    /// <summary>Replays the stream through one method, batch by batch (batch b = pairs[bounds[b] .. bounds[b + 1])).</summary>
    public static PairOutcome[] Replay(AnnotationMethod method, IReadOnlyList<PreferencePair> pairs,
        IReadOnlyList<double[]> features, IReadOnlyList<double[]> raw, IReadOnlyList<int> bounds)
    {
        var outcomes = new PairOutcome[pairs.Count];
        for (int b = 0; b + 1 < bounds.Count; b++)
        {
            int start = bounds[b], count = bounds[b + 1] - start;
            if (count == 0) continue;
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

    /// <summary>Batch boundaries of equal batches of <paramref name="batchSize"/> over <paramref name="count"/> pairs.</summary>
    public static IReadOnlyList<int> EqualBatches(int count, int batchSize)
    {
        var bounds = new List<int> { 0 };
        for (int start = batchSize; start < count; start += batchSize) bounds.Add(start);
        bounds.Add(count);
        return bounds;
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
    IReadOnlyDictionary<string, PairOutcome[]> Outcomes, IReadOnlyDictionary<string, MethodKind> Kinds,
    string OfflineChoice = "", int Batches = 0)
{
    /// <summary>The budget of each method that ran under one (<see cref="AnnotationMethod.Budget"/>).</summary>
    public IReadOnlyDictionary<string, double> BudgetOf { get; init; } = new Dictionary<string, double>();
}

/// <summary>What the method catalogue needs to build one seed's methods.</summary>
public sealed record SeedContext(int Seed, SimulationOptions Options, OfflineRouter OfflineRouter, int RawDimension,
    OnlineCalibration? Calibration = null)
{
    /// <summary>The bayesian-router's online model for this seed (chosen on the validation part, or the options').</summary>
    public BayesianRouterOptions? Online { get; init; }

    /// <summary>One plan per budget of the options (<see cref="BudgetPlan.ForSeed"/>).</summary>
    public IReadOnlyList<BudgetPlan> Budgets { get; init; } = [];

    /// <summary>The offline router whose margins the threshold baseline reads, and its features of every stream pair by id.</summary>
    public OfflineRouter? MarginRouter { get; init; }
    public IReadOnlyDictionary<string, double[]>? MarginFeatures { get; init; }

    /// <summary>How often each RM is right on the offline part of this seed (best-single-train, domain-greedy).</summary>
    public ArmAccuracies? Training { get; init; }
}
