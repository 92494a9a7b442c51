using BayesianRouter.Offline;

namespace BayesianRouter.Simulation;

/// <summary>Options of the controlled simulation (paper section 4.3); defaults follow the paper where it gives one.</summary>
public sealed record SimulationOptions
{
    /// <summary>RMs of the pool, in arm order.</summary>
    public required IReadOnlyList<string> Pool { get; init; }

    /// <summary>Share of the groups used offline when no separate offline pair file is given.</summary>
    public double OfflineFraction { get; init; } = 0.5;

    /// <summary>How pairs are divided into the offline part and the online stream: groups at random, or by domain.</summary>
    public SplitKind Split { get; init; } = SplitKind.Group;

    /// <summary>Pairs per online batch (paper: 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>One full replay per seed: split, offline training, stream order and every router's draws.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2, 3, 4, 5];

    public FeedbackModel Feedback { get; init; } = new FeedbackModel.Truth();

    /// <summary>Cost units of one call per RM (default 1 each).</summary>
    public IReadOnlyDictionary<string, double> Costs { get; init; } = new Dictionary<string, double>();

    /// <summary>Offline router training options; the seed is replaced by each run's seed.</summary>
    public OfflineTrainingOptions Offline { get; init; } = new();

    /// <summary>Prior variance sigma_w^2 of bayesian-router, which starts from the offline prior (paper: 0.02).</summary>
    public double PriorVarianceWithOffline { get; init; } = 0.02;

    /// <summary>Prior variance sigma_w^2 of ts-no-offline (paper: 1).</summary>
    public double PriorVarianceAlone { get; init; } = 1.0;

    /// <summary>Observation noise variance sigma^2 (paper: 1).</summary>
    public double NoiseVariance { get; init; } = 1.0;

    /// <summary>Exploration weight of LASER's LinUCB.</summary>
    public double LaserAlpha { get; init; } = 1.0;

    /// <summary>Mixing weights of the weighted-score baseline (paper: 0.25, 0.5, 0.75).</summary>
    public IReadOnlyList<double> WeightedScoreAlphas { get; init; } = [0.25, 0.5, 0.75];

    /// <summary>Number of equal windows in which accuracy and routing share along the stream are reported.</summary>
    public int StreamWindows { get; init; } = 20;

    public double CostOf(string rm) => Costs.TryGetValue(rm, out var c) ? c : 1.0;

    public void Validate()
    {
        if (Pool.Count < 2) throw new ArgumentException("--pool needs at least two RMs");
        if (Pool.Distinct(StringComparer.Ordinal).Count() != Pool.Count) throw new ArgumentException("--pool lists an RM twice");
        if (!(OfflineFraction > 0 && OfflineFraction < 1)) throw new ArgumentException("--offline-fraction must be in (0, 1)");
        if (BatchSize < 1) throw new ArgumentException("--batch-size must be at least 1");
        if (Seeds.Count < 1) throw new ArgumentException("--seeds must be at least 1");
        foreach (var (rm, c) in Costs)
        {
            if (!Pool.Contains(rm)) throw new ArgumentException($"--costs names {rm}, which is not in the pool");
            if (!(c >= 0) || !double.IsFinite(c)) throw new ArgumentException($"--costs {rm}={c}: a cost must be a finite number >= 0");
        }
    }
}
