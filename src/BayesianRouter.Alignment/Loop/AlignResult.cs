using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Evaluation;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>The outcome of <c>bayesrouter align</c>: every method over every seed (results.json, schema bayesrouter.align/1).</summary>
public sealed record AlignResult
{
    public const string Schema = "bayesrouter.align/1";

    public required string Task { get; init; }

    /// <summary>The scenario (<see cref="TaskScenarios.Name"/>): static, or drift (an exploitable RM).</summary>
    public required string Scenario { get; init; }

    /// <summary>The feedback protocol the online routers learned from (<see cref="FeedbackProtocol"/>).</summary>
    public required string Feedback { get; init; }

    public required IReadOnlyList<int> Seeds { get; init; }
    public required int Steps { get; init; }
    public required IReadOnlyList<string> Pool { get; init; }

    /// <summary>The start policy's greedy accuracy on the evaluation prompts.</summary>
    public required PolicyScore Initial { get; init; }

    /// <summary>The start policy's accuracy on the monitoring (validation) prompts: step 0 of the accuracy-along-training curves.</summary>
    public required PolicyScore InitialMonitor { get; init; }

    /// <summary>Which prompts the policies were scored on: "test" (held out) or "validation" (hyper-parameter search).</summary>
    public required string EvaluatedOn { get; init; }
    public required int EvaluationPrompts { get; init; }

    /// <summary>A hash of the evaluation prompts and answers (<see cref="TaskSplit.TestHash"/> on the test set): equal hashes, the same prompts.</summary>
    public required string EvaluationHash { get; init; }

    /// <summary>A hash of everything that decides the run but the seeds: task version, scenario, settings, methods, start, pool.</summary>
    public required string ConfigHash { get; init; }

    public required IReadOnlyList<MethodSummary> Methods { get; init; }

    /// <summary>The pool on the start policy's own pairs of the offline prompts (the offline router's data): each RM's, the majority vote's and the best router's (some RM right) label accuracy, per domain.</summary>
    public required PairStatisticsReport PoolStatistics { get; init; }

    /// <summary>Pairs of the offline behaviour data (with a strict graded truth).</summary>
    public required int OfflinePairs { get; init; }

    /// <summary>Per seed: the share of the start's pairs of the validation prompts on which the offline router's choice is right.</summary>
    public required IReadOnlyList<double> ValidationRoutingAccuracy { get; init; }

    /// <summary>The settings of the run (options, supervised start, timings) as text, for the report.</summary>
    public required IReadOnlyDictionary<string, string> Info { get; init; }

    public MethodSummary Method(string name) => Methods.First(m => m.Name == name);
}

/// <summary>One method over all seeds.</summary>
public sealed record MethodSummary
{
    public required string Name { get; init; }
    public required MethodKind Kind { get; init; }

    /// <summary>Final greedy accuracy per seed, and its mean, std and 95% Student-t interval.</summary>
    public required IReadOnlyList<double> AccuracyPerSeed { get; init; }
    public required Summary Accuracy { get; init; }

    /// <summary>Final accuracy per domain, mean over seeds.</summary>
    public required IReadOnlyDictionary<string, double> AccuracyPerDomain { get; init; }

    /// <summary>Share of labelled pairs with a strict graded truth whose label is right, pooled over seeds.</summary>
    public required double LabelAccuracy { get; init; }

    /// <summary>
    /// Share of the pairs with a strict graded truth whose DPO margin before the step favours the better answer (pooled
    /// over steps and seeds): how often a pair's loss is lower under the right label than under the wrong one.
    /// </summary>
    public double MarginAccuracy { get; init; } = double.NaN;

    /// <summary>RM calls per pair (feedback calls of the advantage rewards included).</summary>
    public required double RmCallsPerPair { get; init; }

    /// <summary>Share of pairs routed to each RM, over all steps and seeds (empty for ensembles and the oracle).</summary>
    public required IReadOnlyDictionary<string, double> Share { get; init; }

    /// <summary>Mean accuracy over seeds on the monitoring (validation) prompts after each evaluation step (step 0 = the start).</summary>
    public required IReadOnlyList<(int Step, double Accuracy)> AccuracyOverSteps { get; init; }

    /// <summary>Routing share per tenth of the steps: [window][arm], pooled over seeds (empty for ensembles and the oracle).</summary>
    public required IReadOnlyList<IReadOnlyList<double>> ShareOverSteps { get; init; }

    /// <summary>
    /// Each RM's true label accuracy on this method's policy's own pairs, per tenth of the steps: [window][arm], pooled
    /// over seeds (every RM judges every pair for the measurement).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>> RmAccuracyOverSteps { get; init; } = [];

    /// <summary>Share of the policy's sampled answers that end with a period, per tenth of the steps (pooled over seeds).</summary>
    public IReadOnlyList<double> PeriodShareOverSteps { get; init; } = [];

    /// <summary>The final accuracy's paired difference to the bayesian-router's over seeds (this minus it); null without a bayesian-router run.</summary>
    public PairedDifference? PairedToMain { get; init; }

    /// <summary>Pairs the audit checked, over all seeds (0 with loss feedback).</summary>
    public int AuditedPairs { get; init; }

    /// <summary>The DPO learning rate and beta the method ran with.</summary>
    public double LearningRate { get; init; }

    public double Beta { get; init; }

    /// <summary>Seconds of training per seed, mean.</summary>
    public required double SecondsPerRun { get; init; }
}

/// <summary>A paired difference over seeds (mean, std, 95% Student-t interval) and in how many seeds it was above and below 0.</summary>
public sealed record PairedDifference(Summary Difference, int Higher, int Lower)
{
    /// <summary>True when the 95% interval excludes 0.</summary>
    public bool Significant => Difference.N > 1 && (Difference.CiLow > 0 || Difference.CiHigh < 0);
}
