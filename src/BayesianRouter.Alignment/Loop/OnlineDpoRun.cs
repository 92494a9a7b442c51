using BayesianRouter.Alignment.Model;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Alignment.Training;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;
using BayesianRouter.Training;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Loop;

/// <summary>What one step of one method's run did.</summary>
public sealed record StepRecord(int Step, int Pairs, int Labelled, int TruthPairs, int CorrectLabels, int RmCalls, int[] ArmCounts, double MeanLoss)
{
    /// <summary>The step's pairs with a strict graded truth, labelled or not.</summary>
    public int PairsWithTruth { get; init; }

    /// <summary>
    /// Of <see cref="PairsWithTruth"/>, those whose DPO margin (before the update) favours the better answer, so whose loss
    /// is lower under the right label: how often the loss feedback tells a right label from a wrong one (DPO's "reward
    /// accuracy").
    /// </summary>
    public int MarginsTowardTruth { get; init; }

    /// <summary>
    /// Per RM of the pool (arm order): of the step's pairs with a strict graded truth, how many it got right. Every RM
    /// judges every pair for this measurement, whichever RM labelled it (the calls are not counted as the method's).
    /// </summary>
    public int[] RmRight { get; init; } = [];

    /// <summary>Responses the policy sampled this step, and how many of them end with a period ("37.": the drift scenario's habit).</summary>
    public int Responses { get; init; }

    public int PeriodResponses { get; init; }

    /// <summary>Pairs of the step the audit checked (0 with loss feedback).</summary>
    public int Audited { get; init; }
}

/// <summary>
/// One method's run on one seed: its policy's accuracy on the monitoring prompts along the way (validation), its
/// final score on the evaluation prompts (test, or validation when tuning), and what every step did.
/// </summary>
public sealed record MethodRun(string Method, int Seed, IReadOnlyList<(int Step, PolicyScore Score)> Evaluations, PolicyScore Final, IReadOnlyList<StepRecord> Steps)
{
    /// <summary>Share of labelled pairs with a strict graded truth that got the right label.</summary>
    public double LabelAccuracy
    {
        get
        {
            int truth = Steps.Sum(s => s.TruthPairs);
            return truth == 0 ? double.NaN : (double)Steps.Sum(s => s.CorrectLabels) / truth;
        }
    }

    public double RmCallsPerPair
    {
        get
        {
            int pairs = Steps.Sum(s => s.Pairs);
            return pairs == 0 ? 0 : (double)Steps.Sum(s => s.RmCalls) / pairs;
        }
    }
}

/// <summary>
/// What one run needs besides its policy and method: the seed's stream, the final evaluation prompts, the monitoring
/// prompts and the steps after which the policy is scored on them, the pool that measures every RM's accuracy on the
/// run's pairs, the feedback protocol, and the DPO settings of the method (learning rate, beta).
/// </summary>
public sealed record RunPlan(int Seed, Problem[][] Stream, IReadOnlyList<Problem> Final, IReadOnlyList<Problem> Monitor, IReadOnlyList<int> MonitorSteps,
    IReadOnlyList<IRewardModel> Measure, FeedbackProtocol Feedback, PairFeatures Features, double LearningRate, double Beta);

/// <summary>
/// Online DPO of one policy with one labelling method (paper section 3.1, 4.1): per step the policy samples several
/// responses per prompt (KV cache), pairs of different answers are formed, the method labels them, one DPO step is
/// taken on the labelled pairs (LoRA adapters; the reference is the same weights with adapters off), and the method
/// learns from the step's feedback (each pair's DPO margin, or the audit: <see cref="FeedbackProtocol"/>). Every draw
/// is seeded by (seed, step), so methods of a seed start identically and see the same prompts in the same order.
/// </summary>
public static class OnlineDpoRun
{
    public static async Task<MethodRun> RunAsync(TaskPolicy policy, AlignMethod method, RunPlan plan, AlignOptions o, Action<int>? stepDone, CancellationToken ct)
    {
        var model = policy.Model;
        int seed = plan.Seed;
        model.AttachLora(o.Lora, Simulation.SimulationRunner.SeedFor(seed, "lora"));
        using var optimizer = new ExplicitAdamW(model.TrainableParameters(), plan.LearningRate, weightDecay: 0); // Adam
        var evaluations = new List<(int, PolicyScore)>();
        var records = new List<StepRecord>(o.Steps);
        var sampling = new GenerationOptions { MaxNewTokens = o.MaxNewTokens, Temperature = o.Temperature, TopP = o.TopP };
        for (int step = 0; step < o.Steps; step++)
        {
            ct.ThrowIfCancellationRequested();
            var (pairs, responses) = SampleStep(policy, plan.Stream[step], o, sampling, seed, step);
            var batch = new OnlineBatch(pairs, plan.Features);
            var labels = pairs.Count == 0 ? [] : await method.LabelAsync(batch, ct).ConfigureAwait(false);
            double meanLoss = double.NaN;
            double[] margins = pairs.Count == 0 ? [] : DpoStep(policy, optimizer, pairs, labels, plan.Beta, out meanLoss);
            var truth = pairs.Select(p => p.Truth).ToArray();
            var feedback = new StepFeedback(margins, plan.Feedback.AuditedPairs(pairs.Count, seed, step), truth, plan.Feedback);
            int[]? extra = pairs.Count == 0 ? null : await method.FeedbackAsync(batch, labels, feedback, ct).ConfigureAwait(false);
            var rmRight = await MeasurePool(plan.Measure, pairs, ct).ConfigureAwait(false);
            records.Add(Record(step + 1, pairs, labels, extra, meanLoss, plan.Measure.Count, margins) with
            {
                RmRight = rmRight,
                Responses = responses.Length,
                PeriodResponses = responses.Count(Tasks.ArithmeticTask.EndsWithPeriod),
                Audited = Enumerable.Range(0, pairs.Count).Count(i => feedback.Audited[i] && truth[i] != 0),
            });
            if (plan.MonitorSteps.Contains(step + 1)) evaluations.Add((step + 1, Evaluate(policy, plan.Monitor, o)));
            stepDone?.Invoke(step + 1);
        }
        var final = ReferenceEquals(plan.Final, plan.Monitor) && evaluations.Count > 0 && evaluations[^1].Item1 == o.Steps
            ? evaluations[^1].Item2 : Evaluate(policy, plan.Final, o);
        return new MethodRun(method.Name, seed, evaluations, final, records);
    }

    /// <summary>Every RM of the measuring pool judges every pair with a strict truth; how many each got right.</summary>
    private static async Task<int[]> MeasurePool(IReadOnlyList<IRewardModel> measure, List<OnlinePair> pairs, CancellationToken ct)
    {
        var right = new int[measure.Count];
        var judged = pairs.Where(p => p.Truth != 0).ToArray();
        if (judged.Length == 0) return right;
        for (int n = 0; n < measure.Count; n++)
        {
            var verdicts = await AlignMethod.JudgeAll(measure[n], judged, ct).ConfigureAwait(false);
            for (int i = 0; i < judged.Length; i++)
                if (verdicts[i] is { } v && (judged[i].Truth == 1) == (v == Preference.A)) right[n]++;
        }
        return right;
    }

    /// <summary>Greedy test accuracy with the adapters on.</summary>
    public static PolicyScore Evaluate(TaskPolicy policy, IReadOnlyList<Problem> test, AlignOptions o) => policy.Evaluate(test, o.MaxNewTokens);

    /// <summary>
    /// Samples <see cref="AlignOptions.SamplesPerPrompt"/> responses per prompt and forms up to
    /// <see cref="AlignOptions.PairsPerPrompt"/> pairs per prompt from responses with different answers.
    /// </summary>
    public static List<OnlinePair> SamplePairs(TaskPolicy policy, Problem[] prompts, AlignOptions o, GenerationOptions sampling, int seed, int step) =>
        SampleStep(policy, prompts, o, sampling, seed, step).Pairs;

    /// <summary>The step's pairs (<see cref="SamplePairs"/>) and every response sampled.</summary>
    public static (List<OnlinePair> Pairs, string[] Responses) SampleStep(TaskPolicy policy, Problem[] prompts, AlignOptions o, GenerationOptions sampling, int seed, int step)
    {
        var expanded = prompts.SelectMany(p => Enumerable.Repeat(p.Prompt, o.SamplesPerPrompt)).ToArray();
        using var generator = new Generator((ulong)Simulation.SimulationRunner.SeedFor(seed, $"sample/{step}"));
        var responses = policy.Respond(expanded, sampling, generator);
        var rng = new Random(Simulation.SimulationRunner.SeedFor(seed, $"pairs/{step}"));
        var pairs = new List<OnlinePair>();
        for (int p = 0; p < prompts.Length; p++)
        {
            var distinct = responses.Skip(p * o.SamplesPerPrompt).Take(o.SamplesPerPrompt).Distinct(StringComparer.Ordinal).ToArray();
            var candidates = new List<(int, int)>();
            for (int i = 0; i < distinct.Length; i++)
                for (int j = i + 1; j < distinct.Length; j++) candidates.Add((i, j));
            var order = candidates.ToArray();
            rng.Shuffle(order);
            candidates = [.. order];
            foreach (var (i, j) in candidates.Take(o.PairsPerPrompt)) pairs.Add(new OnlinePair(prompts[p], distinct[i], distinct[j]));
        }
        return (pairs, responses);
    }

    /// <summary>One DPO step on the labelled pairs; returns every pair's margin with a preferred (before the update).</summary>
    internal static double[] DpoStep(TaskPolicy policy, ExplicitAdamW optimizer, List<OnlinePair> pairs, PairLabel[] labels, double beta, out double meanLoss)
    {
        var model = policy.Model;
        using var scope = NewDisposeScope();
        var prompts = pairs.Select(p => policy.PromptIds(p.Problem.Prompt)).ToArray();
        var respA = pairs.Select(p => policy.ResponseIds(p.ResponseA)).ToArray();
        var respB = pairs.Select(p => policy.ResponseIds(p.ResponseB)).ToArray();
        // One forward pass over both responses of every pair, then the reference (adapters off) without gradients.
        var allPrompts = prompts.Concat(prompts).ToArray();
        var allResponses = respA.Concat(respB).ToArray();
        var logp = Generation.SequenceLogProbs(model, allPrompts, allResponses, policy.EosId);
        Tensor refLogp;
        using (no_grad())
        {
            model.AdaptersEnabled = false;
            try { refLogp = Generation.SequenceLogProbs(model, allPrompts, allResponses, policy.EosId); }
            finally { model.AdaptersEnabled = true; }
        }
        int n = pairs.Count;
        var marginIfA = DpoLoss.Margin(logp.narrow(0, 0, n), logp.narrow(0, n, n), refLogp.narrow(0, 0, n), refLogp.narrow(0, n, n), beta);
        var sign = labels.Select(l => l.Winner == Preference.B ? -1f : 1f).ToArray();
        var weights = labels.Select(l => l.Winner is null ? 0f : (float)l.Weight).ToArray();
        var weightTensor = tensor(weights);
        var perPair = DpoLoss.FromMargins(marginIfA * tensor(sign));
        meanLoss = double.NaN;
        if (weights.Any(w => w > 0))
        {
            var loss = DpoLoss.Mean(perPair, weightTensor);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
            meanLoss = loss.item<float>();
        }
        return marginIfA.detach().data<float>().ToArray().Select(x => (double)x).ToArray();
    }

    private static StepRecord Record(int step, List<OnlinePair> pairs, PairLabel[] labels, int[]? extra, double loss, int poolSize, double[] margins)
    {
        int labelled = 0, truth = 0, correct = 0, calls = 0, withTruth = 0, toward = 0;
        var arms = new int[poolSize];
        for (int i = 0; i < pairs.Count; i++)
        {
            var l = labels[i];
            calls += l.Calls + (extra?[i] ?? 0);
            if (l.Arm >= 0) arms[l.Arm]++;
            if (pairs[i].Truth != 0)
            {
                withTruth++;
                if (margins[i] * pairs[i].Truth > 0) toward++; // the margin is with a preferred: truth +1 wants m > 0
            }
            if (l.Winner is not { } w) continue;
            labelled++;
            int t = pairs[i].Truth;
            if (t == 0) continue;
            truth++;
            if ((t == 1) == (w == Preference.A)) correct++;
        }
        return new StepRecord(step, pairs.Count, labelled, truth, correct, calls, arms, loss) { PairsWithTruth = withTruth, MarginsTowardTruth = toward };
    }
}
