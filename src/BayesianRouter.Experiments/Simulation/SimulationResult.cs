namespace BayesianRouter.Simulation;

/// <summary>The outcome of a whole simulation: every method over every seed (results.json, README "Simulation results").</summary>
public sealed record SimulationResult
{
    public required IReadOnlyList<string> Pool { get; init; }
    public required IReadOnlyList<int> Seeds { get; init; }
    public required string Feedback { get; init; }
    public required string Split { get; init; }
    public required int BatchSize { get; init; }

    /// <summary>How the stream was cut into batches, in words (<c>shuffled: 64 pairs</c>, <c>prompts: 16 prompts x 4 pairs</c>).</summary>
    public string Batches { get; init; } = "";

    /// <summary>Passes over the online stream (<see cref="SimulationOptions.EpochsOnline"/>).</summary>
    public int EpochsOnline { get; init; } = 1;

    /// <summary>What ts-no-offline and laser read (<c>shared</c> or <c>projection</c>).</summary>
    public string BaselineFeatures { get; init; } = "shared";

    /// <summary>The bayesian-router's online model.</summary>
    public string OnlineModel { get; init; } = "hierarchical";
    public required double OfflineFraction { get; init; }
    public required bool SeparateOfflinePairs { get; init; }

    /// <summary>Online pairs per seed (their mean is <c>pairs_online</c>).</summary>
    public required IReadOnlyList<int> PairsOnlinePerSeed { get; init; }
    public required IReadOnlyList<int> PairsOfflinePerSeed { get; init; }

    /// <summary>Pairs of the input left out because their ground truth is unknown.</summary>
    public int PairsWithoutTruth { get; init; }

    public required IReadOnlyList<MethodResult> Methods { get; init; }

    /// <summary>Per budget of <c>--budget</c>, the methods run under it and the single RMs whose cost fits it (empty without budgets).</summary>
    public IReadOnlyList<BudgetResult> Budgets { get; init; } = [];

    /// <summary>Offline router figures per seed: its held-out routing accuracy is bayesian-router's cold start.</summary>
    public IReadOnlyDictionary<string, string> OfflineRouterInfo { get; init; } = new Dictionary<string, string>();

    public int PairsOnline => (int)Math.Round(PairsOnlinePerSeed.Average());

    public MethodResult Method(string name) => Methods.First(m => m.Name == name);

    /// <summary>The single RM with the highest mean accuracy.</summary>
    public MethodResult BestSingle => Methods.Where(m => m.Kind == MethodKind.Single).MaxBy(m => m.Accuracy.Mean)!;
}

/// <summary>One method's figures over all seeds.</summary>
public sealed record MethodResult
{
    public required string Name { get; init; }
    public required MethodKind Kind { get; init; }

    /// <summary>Annotation accuracy: share of online pairs whose label matches the ground truth, per seed.</summary>
    public required IReadOnlyList<double> AccuracyPerSeed { get; init; }
    public required Summary Accuracy { get; init; }

    /// <summary>Accuracy with UWO's pair weights (share of RMs agreeing with the majority); equals accuracy for others.</summary>
    public required double WeightedAccuracy { get; init; }

    public required double RmCallsPerPair { get; init; }
    public required double CostPerPair { get; init; }

    /// <summary>Realised mean cost per pair in each seed's stream (their maximum is <c>cost_per_pair_max</c>).</summary>
    public IReadOnlyList<double> CostPerSeed { get; init; } = [];

    /// <summary>Share of pairs routed to each RM (empty for ensembles).</summary>
    public required IReadOnlyDictionary<string, double> Share { get; init; }

    /// <summary>Accuracy in each of the equal windows of the stream, mean over seeds.</summary>
    public required IReadOnlyList<double> StreamAccuracy { get; init; }

    /// <summary>Routing share per window: [window][arm], mean over seeds (empty for ensembles).</summary>
    public required IReadOnlyList<IReadOnlyList<double>> StreamShare { get; init; }

    /// <summary>Accuracy per domain (pairs without one under "(none)"), pooled over seeds.</summary>
    public required IReadOnlyDictionary<string, DomainAccuracy> Domains { get; init; }

    /// <summary>
    /// This method's accuracy minus each reference's, seed by seed, with its 95% interval: offline-only, the best single
    /// RM in hindsight, best-single-train and win-stay (those the run has; <see cref="PairedDifference.References"/>).
    /// </summary>
    public IReadOnlyList<PairedDifference> Differences { get; init; } = [];

    /// <summary>The paired difference to a reference role, or null when the run has no such method.</summary>
    public PairedDifference? DifferenceTo(string reference) => Differences.FirstOrDefault(d => d.Reference == reference);
}

public sealed record DomainAccuracy(double Accuracy, int Pairs);

/// <summary>
/// One budget B: the methods that ran under it (<c>bayesian-router-budget</c>, <c>threshold</c>, <c>random-mix</c>) and
/// every <c>single:&lt;rm&gt;</c> whose cost fits B.
/// </summary>
public sealed record BudgetResult(double Budget, IReadOnlyList<MethodResult> Methods)
{
    public MethodResult? Method(string name) => Methods.FirstOrDefault(m => m.Name == name);
}
