using System.Text.Json.Nodes;
using BayesianRouter.Alignment.Loop;
using BayesianRouter.Alignment.Model;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Training;

namespace BayesianRouter.Alignment.Tests;

/// <summary>A deterministic stand-in encoder: a few hashed features of each text, L2-normalised (no model files needed).</summary>
internal sealed class HashingEmbedder : IPairEmbedder
{
    public string EncoderId => "hashing-test-encoder";
    public int Dimension => 8;
    public int MaxTokens => 64;
    public int Calls { get; private set; }

    public IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null)
    {
        Calls++;
        return pairs.Select(p => new PairEmbedding(Vector(p.Prompt, p.ResponseA), Vector(p.Prompt, p.ResponseB))).ToArray();
    }

    private float[] Vector(string prompt, string response)
    {
        var v = new float[Dimension];
        foreach (var word in (prompt + " " + response).Split(' '))
            v[(int)(uint.Parse(StableHash.Hex(word, 8), System.Globalization.NumberStyles.HexNumber) % Dimension)] += 1;
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}

/// <summary>Tests that train or load the shared tiny start run one after another (it is trained once).</summary>
[CollectionDefinition("tiny start")]
public sealed class TinyStartCollection;

[Collection("tiny start")]
public class LoopTests
{
    /// <summary>One policy cache for the class: the tiny start is trained once and reused (as a user's cache would be).</summary>
    internal static readonly string SharedCache = TinyModels.TempFolder();

    internal static readonly SupervisedStartOptions TinyStart = new() { HiddenSize = 16, IntermediateSize = 32, Layers = 1, Heads = 2, KeyValueHeads = 1, Merges = 40, Steps = 200, BatchSize = 32, LearningRate = 1e-2 };

    [Fact]
    public async Task AlignRunsEveryKindOfMethodAndReportsCallsLabelsAndShares()
    {
        var cache = SharedCache;
        var options = new AlignOptions
        {
            Seeds = [1], Steps = 3, PromptsPerStep = 6, SamplesPerPrompt = 3, Evaluations = 1, MaxNewTokens = 5,
            Methods = ["single:calculator", "random", "majority", "uwo", "laser", "ts-no-offline", "offline-only", "bayesian-router", "bayesian-router:hierarchical", "oracle", "ts-no-offline:full-advantage", "bayesian-router:light-advantage"],
            Offline = new() { Epochs = 2, Dimension = 4 },
        };
        var embedder = new HashingEmbedder();
        var result = await new AlignRunner(embedder, new MultiTaskRouterTrainer()).RunAsync(options, TinyStart, cache, evaluateOnValidation: true);

        Assert.True(HfCheckpoint_Exists(cache), "the supervised start is cached as a Hugging Face folder");
        Assert.Equal(options.Methods!.Count, result.Methods.Count);
        Assert.Equal(400, result.EvaluationPrompts);
        var m = result.Methods.ToDictionary(x => x.Name);
        Assert.Equal(1.0, m["single:calculator"].RmCallsPerPair);
        Assert.Equal(1.0, m["single:calculator"].Share["calculator"]);
        Assert.Equal(5.0, m["majority"].RmCallsPerPair);
        Assert.Equal(5.0, m["ts-no-offline:full-advantage"].RmCallsPerPair);
        Assert.InRange(m["bayesian-router:light-advantage"].RmCallsPerPair, 3.0, 4.0); // 1 + C = 3 sampled, minus the chosen when drawn
        Assert.Equal(0.0, m["oracle"].RmCallsPerPair);
        Assert.Empty(m["majority"].Share);
        Assert.Equal(1.0, m["random"].Share.Values.Sum(), 9);
        Assert.All(result.Methods, x => Assert.Single(x.AccuracyPerSeed));
        Assert.All(result.Methods, x => Assert.Equal(result.Initial.Accuracy, x.AccuracyOverSteps[0].Accuracy));
        Assert.Equal(5, result.PoolStatistics.ByDomain[0].Accuracy.Count);
        Assert.Equal(result.Pool.Count, result.PoolStatistics.Rms.Count);
        // paired differences to the bayesian-router, seed by seed
        Assert.All(result.Methods, x => Assert.Equal(x.AccuracyPerSeed[0] - m["bayesian-router"].AccuracyPerSeed[0], x.PairedToMain!.Difference.Mean, 12));
        // every RM's accuracy on each method's own pairs is measured, whichever RM labelled them: a single RM's own
        // curve is its label accuracy (a tie is no label, and no right answer)
        var single = m["single:calculator"];
        // ten windows at most, and never one narrower than a step: a three-step run has three
        Assert.All(result.Methods, x => Assert.Equal(Math.Min(10, options.Steps), x.RmAccuracyOverSteps.Count(w => w.Count == 5)));
        Assert.InRange(single.RmAccuracyOverSteps.Where(w => double.IsFinite(w[0])).Average(w => w[0]), single.LabelAccuracy - 0.1, single.LabelAccuracy + 0.1);

        // results.json carries the fields of schema bayesrouter.align/1.
        var json = JsonNode.Parse(AlignJson.Serialize(result))!.AsObject();
        Assert.Equal("bayesrouter.align/1", (string)json["schema"]!);
        foreach (var field in new[] { "task", "seeds", "steps", "initial_accuracy", "methods" }) Assert.NotNull(json[field]);
        var first = json["methods"]![0]!.AsObject();
        foreach (var field in new[] { "name", "policy_accuracy_mean", "policy_accuracy_std", "policy_accuracy_per_seed", "policy_accuracy_per_domain", "label_accuracy", "rm_calls_per_pair", "share" })
            Assert.True(first.ContainsKey(field), field);
        var report = AlignReport.Markdown(result, "");
        Assert.Contains("Table 1", report);
        Assert.Contains("ts-no-offline:full-advantage", AlignReport.RewardTable(result));
        Assert.DoesNotContain("bayesian-router:hierarchical", AlignReport.RewardTable(result)); // a model, not a reward
        Assert.Contains("| bayesian-router:hierarchical |", AlignReport.Table(result));
        Assert.Contains("calibration a=", result.Info["seed 1 online stage"]); // held-out offline pairs calibrate the online stage
        Assert.Contains("incumbent: the ", result.Info["seed 1 online stage"]); // what the do-no-harm offline stage deploys, and why
    }

    private static bool HfCheckpoint_Exists(string cache) =>
        Directory.GetDirectories(cache).Any(Model.HfCheckpoint.Exists);

    [Fact]
    public async Task TheSameSeedGivesTheSameRunInParallelOrNotAndTheStartIsReusedFromTheCache()
    {
        var cache = SharedCache;
        var options = new AlignOptions { Seeds = [3], Steps = 2, PromptsPerStep = 4, SamplesPerPrompt = 3, Evaluations = 1, MaxNewTokens = 5, Methods = ["bayesian-router", "single:generalist"], Offline = new() { Epochs = 2, Dimension = 4 } };
        var runner = new AlignRunner(new HashingEmbedder(), new MultiTaskRouterTrainer());
        var a = await runner.RunAsync(options with { Parallelism = 1 }, TinyStart, cache, evaluateOnValidation: true);
        var stamp = Path.Combine(SupervisedStart.Folder(cache, TinyStart), "model.safetensors");
        var written = File.GetLastWriteTimeUtc(stamp);
        // Again, with both methods trained side by side: the results do not depend on --parallel.
        var b = await runner.RunAsync(options with { Parallelism = 2 }, TinyStart, cache, evaluateOnValidation: true);
        Assert.Equal(written, File.GetLastWriteTimeUtc(stamp));
        Assert.Equal(a.Methods.Select(x => x.AccuracyPerSeed[0]), b.Methods.Select(x => x.AccuracyPerSeed[0]));
        Assert.Equal(a.Methods.Select(x => x.LabelAccuracy), b.Methods.Select(x => x.LabelAccuracy));
    }

    /// <summary>A labeller that prefers the worse answer of every pair (the oracle reversed).</summary>
    private sealed class ContrarianMethod() : AlignMethod("contrarian", Simulation.MethodKind.Oracle)
    {
        public override Task<PairLabel[]> LabelAsync(OnlineBatch batch, CancellationToken cancellationToken) =>
            Task.FromResult(batch.Pairs.Select(p => new PairLabel(p.Truth switch { 1 => Preference.B, -1 => Preference.A, _ => null }, 1.0, -1, 0)).ToArray());
    }

    /// <summary>Mean over the questions of log pi(right answer), with the adapters on (the trained policy) or off (the start).</summary>
    private static double AnswerLogProb(TaskPolicy policy, IReadOnlyList<Problem> questions, bool adapters)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        policy.Model.AdaptersEnabled = adapters;
        try
        {
            var logp = Generation.SequenceLogProbs(policy.Model, questions.Select(p => policy.PromptIds(p.Prompt)).ToArray(),
                questions.Select(p => policy.ResponseIds(ArithmeticTask.Format(p.Answer))).ToArray(), policy.EosId);
            return logp.data<float>().Average(x => (double)x);
        }
        finally
        {
            policy.Model.AdaptersEnabled = true;
        }
    }

    [Fact]
    public async Task DpoStepsMoveThePolicyTowardTheLabelsItIsGivenAndAwayFromTheirOpposite()
    {
        var split = new TaskSplit(seed: TinyStart.Seed);
        using (SupervisedStart.LoadOrBuild(SharedCache, TinyStart, split, null, out _)) { }
        var folder = SupervisedStart.Folder(SharedCache, TinyStart);
        var o = new AlignOptions { Steps = 16, PromptsPerStep = 8, SamplesPerPrompt = 4, MaxNewTokens = 5, Evaluations = 1 };
        // the same eight questions at every step, so later steps sample new pairs of the questions trained on
        var questions = split.Train.Where(p => p.HasMistake).Take(8).ToArray();
        var stream = Enumerable.Range(0, o.Steps).Select(_ => questions).ToArray();
        var pool = TaskRewardModels.Pool();
        var offline = TinyModels.OfflineRouter(pool.Select(r => r.Name).ToArray());
        var features = new PairFeatures(new HashingEmbedder(), offline, seed: 1);
        var ctx = new AlignSeedContext(1, o, pool, offline, offline.FeatureDimension);
        var plan = new RunPlan(1, stream, split.Validation.Take(40).ToArray(), split.Validation.Take(40).ToArray(), [o.Steps], pool, FeedbackProtocol.Loss, features, 5e-3, 0.1);

        async Task<(MethodRun Run, double Gain)> Train(AlignMethod method)
        {
            var (model, tokenizer) = HfCheckpoint.Load(folder);
            using var policy = new TaskPolicy(model, tokenizer);
            var run = await OnlineDpoRun.RunAsync(policy, method, plan, o, null, CancellationToken.None);
            return (run, AnswerLogProb(policy, questions, adapters: true) - AnswerLogProb(policy, questions, adapters: false));
        }

        // log pi(right answer) of the trained policy minus the start's (the same weights with the adapters off)
        var (oracle, towardTruth) = await Train(new OracleAlignMethod());
        var (contrarian, awayFromTruth) = await Train(new ContrarianMethod());
        Assert.True(towardTruth > 0.05 && awayFromTruth < -0.05, $"the oracle's labels changed log pi(right answer) by {towardTruth:F3}, the reversed labels by {awayFromTruth:F3}");
        Assert.Equal(1.0, oracle.LabelAccuracy);
        Assert.Equal(0.0, contrarian.LabelAccuracy);

        // the measurement of every RM on the run's pairs agrees with a single RM's own labels (scalar scores: no ties)
        var (calculator, _) = await Train(AlignMethods.Create("single:calculator", ctx));
        int judged = calculator.Steps.Sum(s => s.PairsWithTruth);
        Assert.Equal(calculator.Steps.Sum(s => s.CorrectLabels), calculator.Steps.Sum(s => s.RmRight[0]));
        Assert.Equal(calculator.LabelAccuracy, (double)calculator.Steps.Sum(s => s.RmRight[0]) / judged, 9);
    }

    [Fact]
    public void UnknownMethodsAndVariantsAreClearErrors()
    {
        string[] pool = ["calculator", "last-digit"];
        Assert.Contains("single:nope", Assert.Throws<ArgumentException>(() => AlignMethods.Validate(["single:nope"], pool)).Message);
        Assert.Contains("reward variant", Assert.Throws<ArgumentException>(() => AlignMethods.Validate(["bayesian-router:fast"], pool)).Message);
        Assert.Contains("unknown", Assert.Throws<ArgumentException>(() => AlignMethods.Validate(["weighted-score:0.5"], pool)).Message); // a simulate-only method
        Assert.Contains("only ts-no-offline", Assert.Throws<ArgumentException>(() => AlignMethods.Validate(["random:full-advantage"], pool)).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => AlignMethods.Validate(["random", "random"], pool)).Message);
    }
}

public class AlignBenchmarkTests
{
    [Fact]
    public void BenchmarkTimesSamplingAndDpoStepsAndReadsMemoryEveryStep()
    {
        var start = new SupervisedStartOptions { HiddenSize = 16, IntermediateSize = 32, Layers = 1, Heads = 2, KeyValueHeads = 1, Merges = 40, Steps = 60, BatchSize = 16, LearningRate = 1e-2 };
        using var policy = SupervisedStart.Train(start, new TaskSplit(), null);
        int reads = 0;
        var r = AlignBenchmark.Run(policy, new AlignOptions { PromptsPerStep = 4, MaxNewTokens = 5 }, steps: 3, () => ++reads);
        Assert.Equal(3, r.Steps);
        Assert.Equal([1.0, 2.0, 3.0], r.RssMegabytesAlongSteps);
        Assert.Equal(16, r.SequencesPerStep);
        Assert.True(r.GeneratedTokensPerSecond > 0 && r.GeneratedTokensPerSecondNoCache > 0);
        Assert.True(r.DpoStepsPerSecond > 0 && r.LoopStepsPerSecond > 0);
    }
}
