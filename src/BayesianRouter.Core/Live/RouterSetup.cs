using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Live;

/// <summary>
/// What a live routing session routes with: the pool (RM names in arm order), the pair features h, and the Thompson
/// sampling options of the online router (paper sections 3.3-3.4). The two ways to build one are the factories
/// below; this is the one place where live routing constructs "the bayesian-router from an artifact".
/// </summary>
public sealed record RouterSetup
{
    /// <summary>RM names, in arm order.</summary>
    public required IReadOnlyList<string> Pool { get; init; }

    /// <summary>How h is computed from a pair's embedding and domain.</summary>
    public required IPairFeatureMap Features { get; init; }

    /// <summary>Options of the online router (prior mean, variances, seed). Its Monte-Carlo draws are not used here:
    /// the session estimates choice probabilities itself (<see cref="RoutingSessionOptions.MonteCarloDraws"/>).</summary>
    public required ThompsonSamplingOptions Thompson { get; init; }

    /// <summary>The offline router when the setup was built from one (for its BT scores: the offline-only policy).</summary>
    public OfflineRouter? Offline { get; init; }

    /// <summary>Feature-map width used by <see cref="WithoutOfflineRouter"/> (the simulation's fused dimension).</summary>
    public const int DefaultProjectedDimension = 16;

    /// <summary>
    /// The paper's BayesianRouter: Thompson sampling on the artifact's h with prior mean mu_n(0) = E_bt[n],
    /// sigma_w^2 = <paramref name="priorVariance"/> (paper: 0.02), sigma^2 = 1.
    /// </summary>
    public static RouterSetup FromOfflineRouter(OfflineRouter offline, long seed, double priorVariance = 0.02)
    {
        ArgumentNullException.ThrowIfNull(offline);
        return new RouterSetup
        {
            Pool = offline.Pool,
            Features = new OfflineFeatureMap(offline),
            Thompson = ThompsonSamplingOptions.WithOfflinePrior(offline, seed, priorVariance) with { MaxDegreeOfParallelism = 1 },
            Offline = offline,
        };
    }

    /// <summary>
    /// Without an offline router: Thompson sampling with a zero prior (sigma_w^2 = 1, sigma^2 = 1) on the encoder's
    /// pair features through a fixed seeded projection (<see cref="ProjectedFeatureMap"/>), as the simulation's
    /// ts-no-offline method.
    /// </summary>
    public static RouterSetup WithoutOfflineRouter(IReadOnlyList<string> pool, int encoderDimension, long seed,
        int projectedDimension = DefaultProjectedDimension)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return new RouterSetup
        {
            Pool = pool.ToArray(),
            Features = new ProjectedFeatureMap(encoderDimension, projectedDimension, unchecked((int)(seed ^ 0x5EED))),
            Thompson = new ThompsonSamplingOptions { PriorVariance = 1.0, NoiseVariance = 1.0, Seed = seed, MaxDegreeOfParallelism = 1 },
        };
    }

    internal void Validate()
    {
        if (Pool.Count < 1) throw new ArgumentException("the pool needs at least one RM");
        if (Pool.Any(string.IsNullOrEmpty)) throw new ArgumentException("an RM of the pool has an empty name");
        var dup = Pool.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"the pool names RM \"{dup.Key}\" twice");
        if (Thompson.PriorMean is { } mean && mean.Count != Pool.Count)
            throw new ArgumentException($"the prior mean has {mean.Count} rows for a pool of {Pool.Count} RMs");
    }
}
