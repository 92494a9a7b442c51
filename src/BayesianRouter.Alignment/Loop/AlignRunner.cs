using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using BayesianRouter.Alignment.Model;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Data;
using BayesianRouter.Evaluation;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using BayesianRouter.RewardModels;
using BayesianRouter.Simulation;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Loop;

/// <summary>What the runner reports while it works (the CLI shows it as progress bars and log lines).</summary>
public interface IAlignObserver
{
    void Log(string line);

    /// <summary>A method run of a seed starts (<paramref name="key"/> = "seed/method").</summary>
    void RunStarted(string key, int steps);

    void StepDone(string key, int step);

    void RunFinished(string key, double accuracy);
}

/// <summary>
/// The paper's main experiment on the arithmetic task (section 4.1, Table 1, Table 7): the supervised start (cached),
/// the pool's recorded behaviour on the start's own pairs from the offline prompts (disjoint by their numbers from the
/// test prompts), and per seed an offline router trained on that behaviour; then every method trains its own copy of
/// the start on the seed's stream (the same prompts in the same order) and is scored once on the held-out prompts.
/// Runs of all seeds and methods share <see cref="AlignOptions.Parallelism"/> workers (one libtorch thread each).
/// </summary>
public sealed class AlignRunner(IPairEmbedder embedder, IOfflineRouterTrainer trainer, IAlignObserver? observer = null)
{
    private readonly IAlignObserver _observer = observer ?? new NullObserver();

    /// <summary>
    /// Runs the experiment. <paramref name="pool"/> labels the pairs (default: the scenario's in-process RMs; a served
    /// pool, e.g. <c>rm-serve</c>'s, must have the same names in the same order); the scenario's in-process RMs always
    /// measure every RM's accuracy on the runs' pairs (their calls are not counted).
    /// </summary>
    public async Task<AlignResult> RunAsync(AlignOptions options, SupervisedStartOptions start, string policyCache,
        IReadOnlyList<IRewardModel>? pool = null, bool evaluateOnValidation = false, CancellationToken ct = default)
    {
        options.Validate();
        var measure = TaskRewardModels.Pool(options.Scenario);
        var measureNames = measure.Select(r => r.Name).ToArray();
        pool ??= measure;
        var poolNames = pool.Select(r => r.Name).ToArray();
        if (!poolNames.SequenceEqual(measureNames, StringComparer.Ordinal))
            throw new ArgumentException($"the pool's RMs ({string.Join(", ", poolNames)}) are not the task's ({string.Join(", ", measureNames)}), in that order");
        var methodNames = options.Methods ?? AlignMethods.DefaultNames(poolNames, options.OnlineModel);
        AlignMethods.Validate(methodNames, poolNames);
        if (options.Feedback.Kind == FeedbackKind.Audit && methodNames.FirstOrDefault(AlignMethods.IsRewardVariant) is { } variant)
            throw new ArgumentException($"method {variant}: reward variants compare DPO losses; they need --feedback loss");
        var clock = Stopwatch.StartNew();
        set_num_threads(1); // one libtorch thread per run: fastest at this size, and runs go side by side

        var split = new TaskSplit(seed: start.Seed);
        var evaluation = evaluateOnValidation ? split.Validation : split.Test;
        var monitor = split.Validation;
        string startFolder = SupervisedStart.Folder(policyCache, start);
        PolicyScore initial, initialMonitor;
        List<PreferencePair> behaviour, validationBehaviour;
        using (var policy = SupervisedStart.LoadOrBuild(policyCache, start, split, new LineLog(_observer), out bool built))
        {
            initial = policy.Evaluate(evaluation, options.MaxNewTokens);
            initialMonitor = evaluateOnValidation ? initial : policy.Evaluate(monitor, options.MaxNewTokens);
            _observer.Log(string.Create(CultureInfo.InvariantCulture,
                $"start policy ({policy.Model.Config}; {policy.Model.ParameterCount:N0} parameters{(built ? ", trained now" : "")}): accuracy {initial.Accuracy:F3} on {evaluation.Count} {(evaluateOnValidation ? "validation" : "test")} prompts ({Domains(initial)})"));
            var offlinePrompts = split.Offline.Where(p => options.OfflineDomains?.Contains(p.Domain) ?? true).ToArray();
            behaviour = await RecordBehaviour(policy, offlinePrompts, pool, options, ct).ConfigureAwait(false);
            validationBehaviour = await RecordBehaviour(policy, split.Validation.ToArray(), pool, options, ct).ConfigureAwait(false);
        }
        var poolStats = PairStatistics.Compute(behaviour, poolNames);
        _observer.Log($"pool behaviour on {behaviour.Count} pairs of the start policy (offline prompts): " +
                      string.Join("; ", poolNames.Select(n => $"{n} {string.Join("/", poolStats.ByDomain.Select(d => d.Accuracy[n].ToString("F2", CultureInfo.InvariantCulture)))}")) +
                      $" ({string.Join("/", poolStats.ByDomain.Select(d => d.Domain))}); majority {Fmt(poolStats.Pool.Majority)}, some RM right {Fmt(poolStats.Pool.Oracle)}");
        var behaviourEmb = embedder.Embed(behaviour);
        var validationEmb = embedder.Embed(validationBehaviour);
        _observer.Log($"embedded the behaviour pairs with {embedder.EncoderId} ({clock.Elapsed.TotalSeconds:F0} s)");

        var info = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["start policy"] = startFolder,
            ["start settings"] = System.Text.Json.JsonSerializer.Serialize(start),
            ["align settings"] = Describe(options),
            ["offline domains"] = options.OfflineDomains is { } od ? string.Join(", ", od) : "all",
            ["pool"] = string.Join("; ", measure.Select(r => $"{r.Name}: {r.Description}")),
        };
        var contexts = new List<(int Seed, AlignSeedContext Ctx, PairFeatures Features, Problem[][] Stream, double ValidationRouting)>();
        foreach (var seed in options.Seeds)
        {
            var (offline, calibration, priorVariance) = OfflineSide(behaviour, behaviourEmb, poolNames, options, seed, info);
            set_num_threads(1);
            double offlineAcc = RoutingAccuracy(offline, behaviour, behaviourEmb, poolNames);
            double validationAcc = RoutingAccuracy(offline, validationBehaviour, validationEmb, poolNames);
            info[$"seed {seed} offline router"] = string.Create(CultureInfo.InvariantCulture,
                $"routing accuracy {offlineAcc:F3} on its {behaviour.Count} training pairs, {validationAcc:F3} on {validationBehaviour.Count} pairs of the validation prompts");
            _observer.Log(string.Create(CultureInfo.InvariantCulture,
                $"seed {seed}: offline router trained (routing accuracy {offlineAcc:F3} on its training pairs, {validationAcc:F3} on validation pairs; {clock.Elapsed.TotalSeconds:F0} s); {info[$"seed {seed} online stage"]}"));
            var features = new PairFeatures(embedder, offline, seed, options.BaselineFeatures);
            var stream = TaskSplit.Stream(split.Train, options.Steps, options.PromptsPerStep, SimulationRunner.SeedFor(seed, "stream"));
            contexts.Add((seed, new AlignSeedContext(seed, options, pool, offline, features.BaselineDimension, calibration, priorVariance), features, stream, validationAcc));
        }

        var runs = new ConcurrentBag<(MethodRun Run, double Seconds)>();
        var monitorSteps = options.EvaluationSteps();
        using var gate = new SemaphoreSlim(options.Parallelism);
        var jobs = contexts.SelectMany(c => methodNames.Select(name => (c, name))).Select(job => Task.Run(async () =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var (c, name) = job;
                var key = $"{c.Seed}/{name}";
                _observer.RunStarted(key, options.Steps);
                var watch = Stopwatch.StartNew();
                var (model, tokenizer) = HfCheckpoint.Load(startFolder);
                using var policy = new TaskPolicy(model, tokenizer);
                var settings = options.SettingsOf(name);
                var plan = new RunPlan(c.Seed, c.Stream, evaluation, monitor, monitorSteps, measure, options.Feedback, c.Features, settings.LearningRate, settings.Beta);
                var run = await OnlineDpoRun.RunAsync(policy, AlignMethods.Create(name, c.Ctx), plan, options, s => _observer.StepDone(key, s), ct).ConfigureAwait(false);
                runs.Add((run, watch.Elapsed.TotalSeconds));
                _observer.RunFinished(key, run.Final.Accuracy);
                _observer.Log(string.Create(CultureInfo.InvariantCulture,
                    $"seed {c.Seed} {name}: accuracy {run.Final.Accuracy:F3} ({Domains(run.Final)}), label accuracy {run.LabelAccuracy:F3}, {run.RmCallsPerPair:F2} RM calls/pair, answers with a period {(double)run.Steps.Sum(s => s.PeriodResponses) / Math.Max(1, run.Steps.Sum(s => s.Responses)):F3}, {watch.Elapsed.TotalSeconds:F1} s"));
            }
            finally
            {
                gate.Release();
            }
        }, ct)).ToArray();
        await Task.WhenAll(jobs).ConfigureAwait(false);
        info["wall seconds"] = clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture);

        var summaries = methodNames.Select(n => Summarise(n, runs.Where(r => r.Run.Method == n).OrderBy(r => r.Run.Seed).ToArray(), poolNames,
            initialMonitor, options)).ToList();
        if (summaries.FirstOrDefault(m => m.Name == AlignMethods.Main) is { } main)
            for (int i = 0; i < summaries.Count; i++)
                summaries[i] = summaries[i] with { PairedToMain = Paired(summaries[i], main) };
        return new AlignResult
        {
            Task = ArithmeticTask.Name,
            Scenario = TaskScenarios.Name(options.Scenario),
            Feedback = options.Feedback.ToString(),
            Seeds = options.Seeds,
            Steps = options.Steps,
            Pool = poolNames,
            Initial = initial,
            InitialMonitor = initialMonitor,
            EvaluatedOn = evaluateOnValidation ? "validation" : "test",
            EvaluationPrompts = evaluation.Count,
            EvaluationHash = evaluateOnValidation ? StableHash.Hex(string.Join("\n", evaluation.Select(p => $"{p.Prompt}\t{p.Answer}")), 16) : split.TestHash(),
            ConfigHash = StableHash.Hex($"{ArithmeticTask.Version}\n{TaskScenarios.Name(options.Scenario)}\n{Describe(options)}\n{string.Join(",", methodNames)}\n{info["start settings"]}\n{info["pool"]}", 16),
            Methods = summaries,
            PoolStatistics = poolStats,
            OfflinePairs = behaviour.Count,
            ValidationRoutingAccuracy = contexts.Select(c => c.ValidationRouting).ToArray(),
            Info = info,
        };
    }

    /// <summary>The paired difference to the bayesian-router over seeds (this method minus it), and in how many seeds this method was higher.</summary>
    private static PairedDifference Paired(MethodSummary m, MethodSummary main)
    {
        var diffs = m.AccuracyPerSeed.Zip(main.AccuracyPerSeed, (a, b) => a - b).ToArray();
        return new PairedDifference(Summary.Of(diffs), diffs.Count(d => d > 0), diffs.Count(d => d < 0));
    }

    /// <summary>
    /// The seed's offline side: a share of the offline prompts (<see cref="AlignOptions.CalibrationShare"/>; whole domains
    /// when <see cref="AlignOptions.OfflineDomains"/> leaves some out, so that the held-out part is out of distribution as
    /// the stream is) is held out, the offline router trained on the rest is scored there and the online stage
    /// calibrated there (<see cref="OnlineCalibration"/>, and sigma_w^2 with <see cref="AlignOptions.CalibratePriorVariance"/>:
    /// <see cref="PriorVarianceCalibration"/>); the router the methods use is then trained on every offline pair.
    /// </summary>
    private (OfflineRouter Router, OnlineCalibration Calibration, double PriorVariance) OfflineSide(List<PreferencePair> behaviour,
        IReadOnlyList<PairEmbedding> embeddings, string[] pool, AlignOptions options, int seed, Dictionary<string, string> info)
    {
        var training = options.Offline with { Seed = seed, EncoderId = embedder.EncoderId, MaxTokens = embedder.MaxTokens };
        var split = options.OfflineDomains is null ? SplitKind.Group : SplitKind.Domain;
        var nested = NestedSelection.Run(trainer, behaviour, embeddings, pool, [training], split, options.CalibrationShare, seed);
        double priorVariance = options.PriorVarianceWithOffline;
        string prior = string.Create(CultureInfo.InvariantCulture, $"sigma_w^2 = {priorVariance:G3} (fixed)");
        if (options.CalibratePriorVariance && nested.NestedRouter is { } held && nested.Validation.Count > 0)
        {
            var choice = PriorVarianceCalibration.Fit(held, nested.Validation, nested.ValidationEmbeddings);
            priorVariance = choice.Variance;
            prior = choice.ToString();
        }
        else if (options.CalibratePriorVariance) prior = string.Create(CultureInfo.InvariantCulture, $"sigma_w^2 = {priorVariance:G3} (no held-out part to calibrate on: the fixed value)");
        double heldOutAccuracy = nested.ValidationAccuracy.Count > 0 ? nested.ValidationAccuracy[0] : double.NaN;
        info[$"seed {seed} online stage"] = string.Create(CultureInfo.InvariantCulture,
            $"held out {nested.ValidationPairs} offline pairs ({(split == SplitKind.Domain ? "whole domains" : "by prompt")}; offline router trained without them right on {heldOutAccuracy:F3}); " +
            $"calibration a={nested.Calibration.Scale:G4} c={nested.Calibration.Offset:G4}, {nested.Calibration.Levels}; paper model {prior}; {SimulationRunner.IncumbentDescription(nested).TrimEnd(' ', ';')}");
        return (nested.Router, nested.Calibration, priorVariance);
    }

    /// <summary>Share of pairs on which the offline router's argmax-BT choice labels right.</summary>
    private static double RoutingAccuracy(OfflineRouter router, List<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings, string[] pool)
    {
        if (pairs.Count == 0) return double.NaN;
        var routed = router.Route(embeddings, pairs.Select(p => p with { Domain = null }).ToArray());
        return pairs.Select((p, i) => p.IsRight(pool[routed[i]]) ? 1.0 : 0.0).Average();
    }

    private static string Domains(PolicyScore s) =>
        string.Join(" / ", s.PerDomain.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key[..3]} {kv.Value:F2}")));

    private static string Fmt(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private static string Describe(AlignOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"scenario {TaskScenarios.Name(o.Scenario)}, feedback {o.Feedback}, steps {o.Steps}, {o.PromptsPerStep} prompts x {o.SamplesPerPrompt} samples, <= {o.PairsPerPrompt} pairs per prompt, beta {o.Beta}, lr {o.LearningRate}") +
        (o.PerMethod.Count == 0 ? ", " : string.Create(CultureInfo.InvariantCulture, $" (per method: {string.Join("; ", o.PerMethod.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} lr {kv.Value.LearningRate} beta {kv.Value.Beta}")))}), ")) +
        string.Create(CultureInfo.InvariantCulture, $"LoRA r {o.Lora.Rank} alpha {o.Lora.Alpha} on {string.Join(",", o.Lora.TargetModules)}, temperature {o.Temperature}, top-p {o.TopP}, " +
        $"online model {o.OnlineModel.ToString().ToLowerInvariant()}, sigma_w^2 {(o.CalibratePriorVariance ? "calibrated" : o.PriorVarianceWithOffline.ToString(CultureInfo.InvariantCulture))} (offline prior) / {o.PriorVarianceAlone} (none), sigma^2 {o.NoiseVariance}, " +
        $"baseline features {(o.BaselineFeatures == BaselineFeatures.Shared ? "shared (h)" : "projection")}, LASER alpha {o.LaserAlpha}, C {o.LightComparisons}, " +
        $"offline router: {o.Offline}");

    /// <summary>
    /// The pool's recorded behaviour on the start policy's own pairs: for each offline prompt, samples as in the loop,
    /// pairs of different answers, every RM's verdict and the graded truth (pairs whose answers are equally good are dropped).
    /// </summary>
    private static async Task<List<PreferencePair>> RecordBehaviour(TaskPolicy policy, IReadOnlyList<Problem> prompts, IReadOnlyList<IRewardModel> pool,
        AlignOptions o, CancellationToken ct)
    {
        var sampling = new GenerationOptions { MaxNewTokens = o.MaxNewTokens, Temperature = o.Temperature, TopP = o.TopP };
        var pairs = OnlineDpoRun.SamplePairs(policy, prompts.ToArray(), o with { SamplesPerPrompt = o.OfflineSamplesPerPrompt }, sampling, seed: 0, step: -1)
            .Where(p => p.Truth != 0).ToList();
        var verdicts = new Preference?[pool.Count][];
        for (int n = 0; n < pool.Count; n++)
        {
            var judged = await pool[n].JudgeAsync(pairs.Select(p => p.Text).ToArray(), ct).ConfigureAwait(false);
            verdicts[n] = judged.Select(j => j.Judgment?.Prefers()).ToArray();
        }
        return pairs.Select((p, i) => PairFeatures.ToPreferencePair(p) with
        {
            Judgments = Enumerable.Range(0, pool.Count).Where(n => verdicts[n][i] is not null)
                .ToDictionary(n => pool[n].Name, n => Judgment.FromVerdict(verdicts[n][i]!.Value), StringComparer.Ordinal),
        }).ToList();
    }

    private const int Windows = 10;

    private static MethodSummary Summarise(string name, (MethodRun Run, double Seconds)[] runs, string[] pool, PolicyScore initialMonitor, AlignOptions o)
    {
        var finals = runs.Select(r => r.Run.Final.Accuracy).ToArray();
        var kind = MethodCatalogue.KindOf(name.Split(':')[0]);
        var armTotals = new double[pool.Length];
        foreach (var (run, _) in runs)
            foreach (var s in run.Steps)
                for (int a = 0; a < s.ArmCounts.Length; a++) armTotals[a] += s.ArmCounts[a];
        double routed = armTotals.Sum();
        var share = routed == 0 ? new Dictionary<string, double>() : pool.Select((rm, a) => (rm, a)).ToDictionary(x => x.rm, x => armTotals[x.a] / routed);
        var overSteps = new List<(int, double)> { (0, initialMonitor.Accuracy) };
        if (runs.Length > 0)
            foreach (var (step, _) in runs[0].Run.Evaluations)
                overSteps.Add((step, runs.Average(r => r.Run.Evaluations.First(e => e.Step == step).Score.Accuracy)));
        var shareOver = new List<IReadOnlyList<double>>();
        var rmAccuracyOver = new List<IReadOnlyList<double>>();
        var periodOver = new List<double>();
        int windows = Math.Min(Windows, o.Steps); // no window narrower than a step: each holds decisions
        for (int w = 0; w < windows; w++)
        {
            int from = w * o.Steps / windows, to = (w + 1) * o.Steps / windows;
            var steps = runs.SelectMany(r => r.Run.Steps.Where(s => s.Step > from && s.Step <= to)).ToArray();
            if (routed > 0)
            {
                var counts = new double[pool.Length];
                foreach (var s in steps)
                    for (int a = 0; a < s.ArmCounts.Length; a++) counts[a] += s.ArmCounts[a];
                double total = counts.Sum();
                shareOver.Add(counts.Select(c => total == 0 ? double.NaN : c / total).ToArray()); // a window without decisions has no share (a gap in the plot, null in results.json)
            }
            int judged = steps.Sum(s => s.PairsWithTruth);
            rmAccuracyOver.Add(Enumerable.Range(0, pool.Length).Select(n => judged == 0 ? double.NaN : (double)steps.Sum(s => s.RmRight.Length > n ? s.RmRight[n] : 0) / judged).ToArray());
            int responses = steps.Sum(s => s.Responses);
            periodOver.Add(responses == 0 ? double.NaN : (double)steps.Sum(s => s.PeriodResponses) / responses);
        }
        var settings = o.SettingsOf(name);
        return new MethodSummary
        {
            Name = name,
            Kind = kind,
            AccuracyPerSeed = finals,
            Accuracy = Summary.Of(finals),
            AccuracyPerDomain = ArithmeticTask.Domains.ToDictionary(d => d, d => runs.Length == 0 ? double.NaN : runs.Average(r => r.Run.Final.PerDomain.GetValueOrDefault(d, double.NaN))),
            LabelAccuracy = Pooled(runs.SelectMany(r => r.Run.Steps).ToArray()),
            MarginAccuracy = runs.SelectMany(r => r.Run.Steps).Sum(s => s.PairsWithTruth) is var n and > 0
                ? (double)runs.SelectMany(r => r.Run.Steps).Sum(s => s.MarginsTowardTruth) / n : double.NaN,
            RmCallsPerPair = runs.Length == 0 ? double.NaN : runs.Average(r => r.Run.RmCallsPerPair),
            Share = share,
            AccuracyOverSteps = overSteps,
            ShareOverSteps = shareOver,
            RmAccuracyOverSteps = rmAccuracyOver,
            PeriodShareOverSteps = periodOver,
            AuditedPairs = runs.Sum(r => r.Run.Steps.Sum(s => s.Audited)),
            LearningRate = settings.LearningRate,
            Beta = settings.Beta,
            SecondsPerRun = runs.Length == 0 ? double.NaN : runs.Average(r => r.Seconds),
        };
    }

    /// <summary>Label accuracy pooled over all steps of all seeds (pairs with a strict graded truth).</summary>
    private static double Pooled(StepRecord[] steps)
    {
        int truth = steps.Sum(s => s.TruthPairs);
        return truth == 0 ? double.NaN : (double)steps.Sum(s => s.CorrectLabels) / truth;
    }

    private sealed class NullObserver : IAlignObserver
    {
        public void Log(string line) { }
        public void RunStarted(string key, int steps) { }
        public void StepDone(string key, int step) { }
        public void RunFinished(string key, double accuracy) { }
    }

    private sealed class LineLog(IAlignObserver observer) : IProgress<string>
    {
        public void Report(string value) => observer.Log(value);
    }
}
