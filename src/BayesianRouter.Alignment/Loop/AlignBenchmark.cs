using System.Diagnostics;
using BayesianRouter.Alignment.Model;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Training;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Loop;

/// <summary>Speed of the loop's two halves for a policy, measured in one process: sampling (with and without the KV cache) and DPO steps.</summary>
public sealed record AlignBenchmarkResult(
    int Steps, int SequencesPerStep, double GeneratedTokensPerSecond, double GeneratedTokensPerSecondNoCache,
    double DpoStepsPerSecond, double PairsPerDpoStep, double LoopStepsPerSecond, IReadOnlyList<double> RssMegabytesAlongSteps)
{
    /// <summary>Seconds to score a policy greedily on 1,000 prompts (measured on the validation and test prompts).</summary>
    public double EvaluationSeconds { get; init; }

    /// <summary>
    /// The projected seconds of one method run of <c>align</c> with <paramref name="o"/>: its steps at the measured loop
    /// speed, plus its scoring (the monitoring evaluations on validation prompts and the final one on test prompts).
    /// The routers' feature computation and the RM calls are not in it (in-process RMs cost microseconds per pair).
    /// </summary>
    public double SecondsPerRun(AlignOptions o, TaskSplit split) =>
        o.Steps / LoopStepsPerSecond + EvaluationSeconds * (o.EvaluationSteps().Length * split.Validation.Count + split.Test.Count) / 1000.0;
}

/// <summary>
/// <c>bayesrouter bench align</c>: per step, sample the stream's prompts (KV cache; and once more without it, for the
/// ratio), form pairs, label them with ground truth and take one DPO step; timed separately. The resident memory is
/// read after every step, so growth along a run shows.
/// </summary>
public static class AlignBenchmark
{
    public static AlignBenchmarkResult Run(TaskPolicy policy, AlignOptions o, int steps, Func<double> rssMegabytes)
    {
        set_num_threads(1);
        var split = new TaskSplit();
        var stream = TaskSplit.Stream(split.Train, steps, o.PromptsPerStep, seed: 1);
        policy.Model.AttachLora(o.Lora, seed: 1);
        using var optimizer = new ExplicitAdamW(policy.Model.TrainableParameters(), o.LearningRate, weightDecay: 0);
        var sampling = new GenerationOptions { MaxNewTokens = o.MaxNewTokens, Temperature = o.Temperature, TopP = o.TopP };
        double genSeconds = 0, genNoCacheSeconds = 0, dpoSeconds = 0;
        long tokens = 0, tokensNoCache = 0;
        int pairsTotal = 0;
        var rss = new List<double>();
        var loop = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            var prompts = stream[step].SelectMany(p => Enumerable.Repeat(policy.PromptIds(p.Prompt), o.SamplesPerPrompt)).ToArray();
            var watch = Stopwatch.StartNew();
            int[][] outs;
            using (var g = new Generator((ulong)step + 1)) outs = Generation.Generate(policy.Model, prompts, policy.EosId, sampling, g);
            genSeconds += watch.Elapsed.TotalSeconds;
            tokens += outs.Sum(x => x.Length);
            watch.Restart();
            int[][] again;
            using (var g = new Generator((ulong)step + 1)) again = Generation.Generate(policy.Model, prompts, policy.EosId, sampling with { UseKvCache = false }, g);
            genNoCacheSeconds += watch.Elapsed.TotalSeconds;
            tokensNoCache += again.Sum(x => x.Length);

            var pairs = OnlineDpoRun.SamplePairs(policy, stream[step], o, sampling, seed: 1, step);
            var labels = pairs.Select(p => new PairLabel(p.Truth switch { 1 => Data.Preference.A, -1 => Data.Preference.B, _ => null }, 1, -1, 0)).ToArray();
            watch.Restart();
            if (pairs.Count > 0) OnlineDpoRun.DpoStep(policy, optimizer, pairs, labels, o.Beta, out _);
            dpoSeconds += watch.Elapsed.TotalSeconds;
            pairsTotal += pairs.Count;
            rss.Add(rssMegabytes());
        }
        double loopSeconds = loop.Elapsed.TotalSeconds - genNoCacheSeconds;
        var evalWatch = Stopwatch.StartNew();
        policy.Evaluate(split.Validation, o.MaxNewTokens);
        policy.Evaluate(split.Test, o.MaxNewTokens);
        double evalSeconds = evalWatch.Elapsed.TotalSeconds * 1000.0 / (split.Validation.Count + split.Test.Count); // per 1,000 prompts
        return new AlignBenchmarkResult(steps, o.PromptsPerStep * o.SamplesPerPrompt, tokens / genSeconds, tokensNoCache / genNoCacheSeconds,
            steps / dpoSeconds, (double)pairsTotal / steps, steps / loopSeconds, rss) { EvaluationSeconds = evalSeconds };
    }
}
