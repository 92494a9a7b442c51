using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Live;

/// <summary>
/// What a live routing session routes with: the pool (RM names in arm order), the pair features h, and the online
/// router. With an offline artifact the router is "the bayesian-router" as <see cref="BayesianRouterFactory"/> builds
/// it for the simulation too (the paper's linear model or the hierarchical one, <see cref="OnlineModel"/>); without
/// one it is linear Thompson sampling with a zero prior on projected encoder features. Either way the session sees an
/// <see cref="IThompsonRouter"/> and the pair's router input from <see cref="Context"/>.
/// </summary>
public sealed record RouterSetup
{
    /// <summary>RM names, in arm order.</summary>
    public required IReadOnlyList<string> Pool { get; init; }

    /// <summary>How h is computed from a pair's embedding and domain.</summary>
    public required IPairFeatureMap Features { get; init; }

    /// <summary>Seed of the router and of the session's draws (decisions, probability estimates, exploration).</summary>
    public long Seed { get; init; }

    /// <summary>The factory of the bayesian-router when the setup was built from an offline artifact; null without one.</summary>
    public BayesianRouterFactory? Factory { get; init; }

    /// <summary>Options of the zero-prior linear router used when there is no <see cref="Factory"/>.</summary>
    public ThompsonSamplingOptions ZeroPrior { get; init; } = new() { MaxDegreeOfParallelism = 1 };

    /// <summary>The offline router when the setup was built from one (for its BT scores: the offline-only policy).</summary>
    public OfflineRouter? Offline => Factory?.Offline;

    /// <summary>The online model with an artifact (null without one).</summary>
    public OnlineModel? Model => Factory?.Options.Model;

    /// <summary>Feature-map width used by <see cref="WithoutOfflineRouter"/> (the simulation's fused dimension).</summary>
    public const int DefaultProjectedDimension = 16;

    /// <summary>
    /// The online model of the live path when none is named: the hierarchical one, with its reward units fitted online
    /// (<see cref="HierarchicalOptions.FitRewardScale"/>). Measured (docs/online-model.md, "Live feedback"): on simulated
    /// DPO losses as noisy as a trainer's it is within noise of the paper's model, in the DPO loop in distribution level
    /// with it or better, and with a domain the offline router never saw far better (the paper's model barely moves
    /// from a wrong offline choice); with a strong signal (0/1 rewards, clean losses) it is better everywhere.
    /// </summary>
    public const OnlineModel DefaultLiveModel = OnlineModel.Hierarchical;

    /// <summary>
    /// Identifies what a session's state depends on: the features (<see cref="IPairFeatureMap.Id"/>) and, with an
    /// artifact, the online model and its settings. A log or checkpoint made with another is refused.
    /// </summary>
    public string Id => Factory is { Options.Model: OnlineModel.Hierarchical } f ? $"{Features.Id}+{f.Describe()}" : Features.Id;

    /// <summary>
    /// The bayesian-router on an offline artifact (<see cref="BayesianRouterFactory"/>, its calibration from the
    /// artifact's <c>online.*</c> metadata): without <paramref name="options"/> the <see cref="DefaultLiveModel"/> (the
    /// calibrated offline prediction with global, domain and prompt (group) corrections, in reward units fitted
    /// online); <c>options.Model</c> = <see cref="OnlineModel.Paper"/> picks the paper's model (prior mean E_bt,
    /// sigma_w^2 = 0.02, sigma^2 = 1). The domain level is used when the artifact was trained with domains.
    /// </summary>
    public static RouterSetup FromOfflineRouter(OfflineRouter offline, long seed, BayesianRouterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(offline);
        var o = options ?? new BayesianRouterOptions { Model = DefaultLiveModel };
        o = o with { UseDomain = o.UseDomain && offline.Domains.Count > 0, MaxDegreeOfParallelism = 1 };
        return new RouterSetup { Pool = offline.Pool, Features = new OfflineFeatureMap(offline), Seed = seed, Factory = new BayesianRouterFactory(offline, o) };
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
            Seed = seed,
            ZeroPrior = new ThompsonSamplingOptions { PriorVariance = 1.0, NoiseVariance = 1.0, Seed = seed, MaxDegreeOfParallelism = 1 },
        };
    }

    /// <summary>A fresh router at its prior.</summary>
    public IThompsonRouter CreateRouter() => Factory?.Create(Seed)
        ?? new ThompsonSamplingRouter(Pool.Count, Features.Dimension, ZeroPrior with { Seed = Seed });

    /// <summary>
    /// The router's input for a pair with features h, domain and group (prompt), from the factory. With
    /// <paramref name="intern"/> false the router's state does not change (decisions); feedback interns (see
    /// <see cref="BayesianRouterFactory.Features(IRouter, double[], string?, string?, bool)"/>).
    /// </summary>
    public double[] Context(IThompsonRouter router, double[] h, string? domain, string? group, bool intern) =>
        Factory?.Features(router, h, domain, group, intern) ?? h;

    internal void Validate()
    {
        if (Pool.Count < 1) throw new ArgumentException("the pool needs at least one RM");
        if (Pool.Any(string.IsNullOrEmpty)) throw new ArgumentException("an RM of the pool has an empty name");
        var dup = Pool.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"the pool names RM \"{dup.Key}\" twice");
        if (Factory is { } f && !f.Offline.Pool.SequenceEqual(Pool, StringComparer.Ordinal))
            throw new ArgumentException($"the pool ({string.Join(",", Pool)}) is not the offline router's ({string.Join(",", f.Offline.Pool)})");
        if (Factory is null && ZeroPrior.PriorMean is { } mean && mean.Count != Pool.Count)
            throw new ArgumentException($"the prior mean has {mean.Count} rows for a pool of {Pool.Count} RMs");
    }
}
