using BayesianRouter.Offline;

namespace BayesianRouter.Routing;

/// <summary>Options of <see cref="ThompsonSamplingRouter"/> (paper section 3.3, 3.4, appendix A.1).</summary>
public sealed record ThompsonSamplingOptions
{
    /// <summary>sigma_w^2: prior covariance sigma_w^2 I. Paper: 1 with a zero prior, 0.02 with the offline prior.</summary>
    public double PriorVariance { get; init; } = 1.0;

    /// <summary>sigma^2: observation noise variance of Eq. 4 (paper: 1).</summary>
    public double NoiseVariance { get; init; } = 1.0;

    /// <summary>
    /// gamma in (0, 1]: before each batch update every arm's precision becomes gamma A + (1 - gamma) I / sigma_w^2 and
    /// its linear term gamma b + (1 - gamma) mu0 / sigma_w^2, so old evidence fades toward the prior (about
    /// 1 / (1 - gamma) batches of memory) for a drifting policy. 1 = the paper (no forgetting). Values below 1 cost an
    /// O(d^3) refactorisation per arm per batch.
    /// </summary>
    public double Forgetting { get; init; } = 1.0;

    /// <summary>Seed of the router's generators (decisions, and a separate stream for probability estimates).</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Draws per pair of the Monte-Carlo estimate of P(chosen arm | context); 0 = do not estimate (probability NaN).
    /// The estimate uses its own random stream, so asking for it never changes the decisions.
    /// </summary>
    public int MonteCarloDraws { get; init; }

    /// <summary>Prior mean: null = zero; otherwise one row per arm (e.g. the offline router's E_bt rows: prior injection).</summary>
    public IReadOnlyList<double[]>? PriorMean { get; init; }

    /// <summary>
    /// Threads over which the arms' work is spread for large batches: -1 = all cores (default), 1 = sequential. The
    /// decisions and posteriors are identical for every value (arms are independent; the draws stay sequential).
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>The paper's BayesianRouter setting: prior mean mu_n(0) = E_bt[n], sigma_w^2 = 0.02, sigma^2 = 1.</summary>
    public static ThompsonSamplingOptions WithOfflinePrior(OfflineRouter offline, long seed, double priorVariance = 0.02) => new()
    {
        PriorMean = Enumerable.Range(0, offline.Pool.Count).Select(offline.BtRow).ToArray(),
        PriorVariance = priorVariance,
        NoiseVariance = 1.0,
        Seed = seed,
    };

    internal void Validate()
    {
        if (!(PriorVariance > 0) || !double.IsFinite(PriorVariance))
            throw new ArgumentException($"prior variance must be positive and finite (got {PriorVariance})");
        if (!(NoiseVariance > 0) || !double.IsFinite(NoiseVariance))
            throw new ArgumentException($"noise variance must be positive and finite (got {NoiseVariance})");
        if (!(Forgetting > 0 && Forgetting <= 1))
            throw new ArgumentException($"forgetting factor must be in (0, 1] (got {Forgetting})");
        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
            throw new ArgumentException($"max degree of parallelism must be -1 (all cores) or positive (got {MaxDegreeOfParallelism})");
        if (MonteCarloDraws < 0) throw new ArgumentException($"Monte-Carlo draws cannot be negative (got {MonteCarloDraws})");
    }
}
