using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>The outcome of <c>bayesrouter align</c>: every method over every seed (results.json, schema bayesrouter.align/1).</summary>
public sealed record AlignResult
{
    public const string Schema = "bayesrouter.align/1";

    public required string Task { get; init; }
    public required IReadOnlyList<int> Seeds { get; init; }
    public required int Steps { get; init; }
    public required IReadOnlyList<string> Pool { get; init; }

    /// <summary>The start policy's greedy accuracy on the evaluation prompts.</summary>
    public required PolicyScore Initial { get; init; }

    /// <summary>Which prompts the policies were scored on: "test" (held out) or "validation" (hyper-parameter search).</summary>
    public required string EvaluatedOn { get; init; }
    public required int EvaluationPrompts { get; init; }
    public required IReadOnlyList<MethodSummary> Methods { get; init; }

    /// <summary>Each pool RM's label accuracy per domain on the start policy's own pairs (the offline behaviour data).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> PoolAccuracy { get; init; }

    /// <summary>Pairs of the offline behaviour data (with a strict graded truth) and the offline router's routing accuracy on them.</summary>
    public required int OfflinePairs { get; init; }

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

    /// <summary>Mean accuracy over seeds after each evaluation step (step 0 = the start).</summary>
    public required IReadOnlyList<(int Step, double Accuracy)> AccuracyOverSteps { get; init; }

    /// <summary>Routing share per window of steps: [window][arm], mean over seeds (empty for ensembles and the oracle).</summary>
    public required IReadOnlyList<IReadOnlyList<double>> ShareOverSteps { get; init; }

    /// <summary>Seconds of training per seed, mean.</summary>
    public required double SecondsPerRun { get; init; }
}
