using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BayesianRouter.Alignment.Model;
using BayesianRouter;
using BayesianRouter.Training;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Tasks;

/// <summary>Settings of the supervised start: the policy's size, its noisy training mixture and the optimiser.</summary>
public sealed record SupervisedStartOptions
{
    public int HiddenSize { get; init; } = 64;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KeyValueHeads { get; init; } = 2;
    public int IntermediateSize { get; init; } = 176;

    /// <summary>BPE merges learned from the task's own texts (words become single tokens; digits stay single).</summary>
    public int Merges { get; init; } = 120;

    public int Steps { get; init; } = 3000;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 3e-3;
    public int Seed { get; init; } = 1;

    /// <summary>Share of targets that are the domain's typical mistake, per domain (the noisy mixture).</summary>
    public IReadOnlyDictionary<string, double> MistakeRates { get; init; } = new Dictionary<string, double>
    {
        ["addition"] = 0.6, ["subtraction"] = 0.6, ["comparison"] = 0.4, ["conversion"] = 0.6,
    };

    /// <summary>Share of targets with one digit replaced at random.</summary>
    public double DigitNoise { get; init; } = 0.1;

    /// <summary>
    /// Share of targets of worded questions written with a trailing period ("37."), as a sentence would end: a
    /// formatting habit the grader does not accept, and what the drift scenario's exploitable RM rewards
    /// (<see cref="TaskScenario.Drift"/>).
    /// </summary>
    public double PeriodNoise { get; init; } = 0.1;

    /// <summary>The same habit after questions in symbols (rarer: "27 + 8" does not read as a sentence).</summary>
    public double PeriodNoiseSymbolic { get; init; } = 0.02;

    /// <summary>Training threads of libtorch (1 is fastest for this size, and far faster when other work shares the cores).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>The cache key: a hash of every setting that changes the checkpoint, and of the task's version.</summary>
    public string Key() => StableHash.Hex(SupervisedStart.TaskVersion + JsonSerializer.Serialize(this with { Threads = 0 }), 16);

    public void Validate()
    {
        if (HiddenSize < 1 || Layers < 1 || Heads < 1 || KeyValueHeads < 1 || IntermediateSize < 1)
            throw new ArgumentException("policy sizes must be positive");
        if (Steps < 1 || BatchSize < 1) throw new ArgumentException("supervised steps and batch size must be positive");
        if (!(LearningRate > 0)) throw new ArgumentException("supervised learning rate must be > 0");
        foreach (var (d, r) in MistakeRates)
            if (!(r >= 0 && r <= 1)) throw new ArgumentException($"mistake rate of {d} must be in [0, 1]");
        if (!(DigitNoise >= 0 && DigitNoise < 1)) throw new ArgumentException("digit noise must be in [0, 1)");
        if (!(PeriodNoise >= 0 && PeriodNoise < 1 && PeriodNoiseSymbolic >= 0 && PeriodNoiseSymbolic < 1)) throw new ArgumentException("period noise must be in [0, 1)");
    }
}

/// <summary>
/// The policy the DPO loop starts from: a small Llama-family model trained by the project itself, by supervised
/// learning on a noisy mixture of the task (correct answers, the domain's typical mistake, random digit noise), so
/// it starts well below perfect and the right answer is still among its samples. Cached on disk as a Hugging Face
/// folder (config.json, model.safetensors, tokenizer.json) under a key of its settings; rebuilt when missing.
/// </summary>
public static class SupervisedStart
{
    /// <summary>Changes whenever the task's prompts or the training recipe change, so old caches are not reused.</summary>
    public const string TaskVersion = ArithmeticTask.Version + "-start1";

    /// <summary>
    /// The default cache root: <c>$BAYESROUTER_POLICY_CACHE</c> when set, else <c>$XDG_CACHE_HOME/bayesrouter/policies</c>,
    /// else <c>~/.cache/bayesrouter/policies</c>.
    /// </summary>
    public static string DefaultCacheRoot()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("BAYESROUTER_POLICY_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return explicitRoot;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "bayesrouter", "policies");
    }

    /// <summary>The folder of the checkpoint for these settings under <paramref name="cacheRoot"/>.</summary>
    public static string Folder(string cacheRoot, SupervisedStartOptions options) =>
        Path.Combine(cacheRoot, $"{TaskVersion}-{options.Key()}");

    /// <summary>Loads the cached start, or trains and caches it. <paramref name="built"/> says which happened.</summary>
    public static TaskPolicy LoadOrBuild(string cacheRoot, SupervisedStartOptions options, TaskSplit split, IProgress<string>? log, out bool built)
    {
        options.Validate();
        var folder = Folder(cacheRoot, options);
        built = !HfCheckpoint.Exists(folder);
        if (built)
        {
            log?.Report($"training the supervised start ({options.Steps} steps; cached in {folder})");
            using var policy = Train(options, split, log);
            HfCheckpoint.Save(folder, policy.Model, policy.Tokenizer, new Dictionary<string, string>
            {
                ["bayesrouter.task"] = TaskVersion,
                ["bayesrouter.supervised_start"] = JsonSerializer.Serialize(options),
            });
        }
        else log?.Report($"supervised start from the cache: {folder}");
        var (model, tokenizer) = HfCheckpoint.Load(folder);
        return new TaskPolicy(model, tokenizer);
    }

    /// <summary>
    /// The task's tokenizer: byte-level BPE with single digits, merges learned from the texts of the training part only
    /// (its prompts and answers): no held-out question shapes the vocabulary.
    /// </summary>
    public static ByteLevelBpeTokenizer Tokenizer(int merges, IEnumerable<Problem> training) =>
        BpeTrainer.Train(training.SelectMany(p => new[] { p.Prompt, ArithmeticTask.Format(p.Answer) }),
            merges, [new PreTokenizerStep.Digits(true), new PreTokenizerStep.ByteLevel(false, true)], [TaskPolicy.EndOfText]);

    /// <summary>Trains the start (deterministic for the options and thread count).</summary>
    public static TaskPolicy Train(SupervisedStartOptions o, TaskSplit split, IProgress<string>? log)
    {
        var tokenizer = Tokenizer(o.Merges, split.Train);
        var config = new LlamaConfig
        {
            VocabSize = tokenizer.VocabSize, HiddenSize = o.HiddenSize, IntermediateSize = o.IntermediateSize, Layers = o.Layers,
            Heads = o.Heads, KeyValueHeads = o.KeyValueHeads, MaxPositions = 64, RopeTheta = 10000, TieWordEmbeddings = true,
            EosTokenId = tokenizer.TokenId(TaskPolicy.EndOfText), BosTokenId = -1,
        };
        if (get_num_threads() != o.Threads) set_num_threads(o.Threads);
        var policy = new TaskPolicy(LlamaModel.CreateRandom(config, o.Seed), tokenizer);
        var byDomain = ArithmeticTask.Domains.Select(d => split.Train.Where(p => p.Domain == d).ToArray()).ToArray();
        var rng = new Random(o.Seed);
        using var optimizer = new ExplicitAdamW(policy.Model.TrainableParameters(), o.LearningRate, weightDecay: 0.01);
        var clock = Stopwatch.StartNew();
        double smoothed = double.NaN;
        for (int step = 0; step < o.Steps; step++)
        {
            using var scope = NewDisposeScope();
            // Linear warm-up over the first 5% of steps, then cosine decay to a tenth.
            double progress = (double)step / o.Steps;
            double lr = o.LearningRate * (progress < 0.05 ? (step + 1) / (0.05 * o.Steps) : 0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * (progress - 0.05) / 0.95)));
            optimizer.LearningRate = lr;
            var prompts = new int[o.BatchSize][];
            var targets = new int[o.BatchSize][];
            for (int i = 0; i < o.BatchSize; i++)
            {
                var problems = byDomain[rng.Next(byDomain.Length)];
                var p = problems[rng.Next(problems.Length)];
                prompts[i] = policy.PromptIds(p.Prompt);
                targets[i] = policy.ResponseIds(NoisyTarget(p, o, rng));
            }
            var loss = Generation.SequenceLogProbs(policy.Model, prompts, targets).sum().neg().Div(targets.Sum(t => t.Length));
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
            double l = loss.item<float>();
            smoothed = double.IsNaN(smoothed) ? l : 0.98 * smoothed + 0.02 * l;
            if ((step + 1) % Math.Max(1, o.Steps / 10) == 0)
                log?.Report(string.Create(CultureInfo.InvariantCulture, $"supervised step {step + 1}/{o.Steps}: loss {smoothed:F3} per token ({clock.Elapsed.TotalSeconds:F0} s)"));
        }
        return policy;
    }

    /// <summary>
    /// A target of the noisy mixture: the typical mistake, a random digit change, or the right answer; any of them
    /// written with a trailing period with probability <see cref="SupervisedStartOptions.PeriodNoise"/> (worded
    /// questions) or <see cref="SupervisedStartOptions.PeriodNoiseSymbolic"/>.
    /// </summary>
    public static string NoisyTarget(Problem p, SupervisedStartOptions o, Random rng)
    {
        var target = NumberTarget(p, o, rng);
        double period = p.Style == Wording.Verbal ? o.PeriodNoise : o.PeriodNoiseSymbolic;
        return period > 0 && rng.NextDouble() < period ? target + "." : target;
    }

    private static string NumberTarget(Problem p, SupervisedStartOptions o, Random rng)
    {
        double u = rng.NextDouble();
        double mistake = o.MistakeRates.GetValueOrDefault(p.Domain);
        if (u < mistake) return ArithmeticTask.Format(p.Mistake);
        if (u < mistake + o.DigitNoise)
        {
            var s = ArithmeticTask.Format(p.Answer).ToCharArray();
            int k = rng.Next(s.Length);
            s[k] = (char)('0' + (s[k] - '0' + 1 + rng.Next(9)) % 10);
            if (s.Length > 1 && s[0] == '0') s[0] = '1';
            return new string(s);
        }
        return ArithmeticTask.Format(p.Answer);
    }
}
