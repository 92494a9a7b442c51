using System.Globalization;
using BayesianRouter.Baselines;
using BayesianRouter.Aggregation;
using BayesianRouter.Data;
using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Simulation;

/// <summary>
/// The labelling methods every experiment compares (<c>simulate</c> on recorded judgments, <c>align</c> in the DPO
/// loop), said once: their names, how a name is parsed, and the routers and vote aggregators behind them. A name is a
/// base, optionally followed by a colon and a variant that the command defines (<c>single:&lt;rm&gt;</c> names an RM of
/// the pool; <c>bayesian-router:paper</c>, <c>ts-no-offline:full-advantage</c>, <c>weighted-score:0.5</c>). The
/// bayesian-router itself is built where every user builds it (<see cref="BayesianRouterFactory"/>, or
/// <c>Live.RouterSetup</c> for a routing session); every other router of the comparison is built here. Each method
/// draws from its own generators, seeded from the run's seed and the method's name, so adding a method never changes
/// another's draws.
/// </summary>
public static class MethodCatalogue
{
    public const string Single = "single";
    public const string Random = "random";
    public const string Majority = "majority";
    public const string Uwo = "uwo";
    public const string Laser = "laser";
    public const string TsNoOffline = "ts-no-offline";
    public const string OfflineOnly = "offline-only";

    /// <summary>The bayesian-router (the paper's method).</summary>
    public const string Main = "bayesian-router";

    public const string WeightedScore = "weighted-score";
    public const string Oracle = "oracle";

    /// <summary>Per prompt (group): the RM that was right there last time, else the offline router's best pick among the RMs not wrong there (<see cref="WinStayRouter"/>).</summary>
    public const string WinStay = "win-stay";

    /// <summary>Per domain: the RM with the best running accuracy, the offline part's counts as pseudo-counts (<see cref="DomainGreedyRouter"/>).</summary>
    public const string DomainGreedy = "domain-greedy";

    /// <summary>The single RM that is best on the offline (training) part: what a user deploys without a router.</summary>
    public const string BestSingleTrain = "best-single-train";

    /// <summary>The name of the method that sends every pair to <paramref name="rm"/>.</summary>
    public static string SingleOf(string rm) => $"{Single}:{rm}";

    /// <summary>
    /// The paper's Table 1 methods in its row order: each single RM, majority vote, the random router, UWO, LASER,
    /// Thompson sampling without the offline prior ("w/o offline"), the offline router alone ("w/o online"), the
    /// bayesian-router, and the oracle (not in the paper's table: the upper bound).
    /// </summary>
    public static IReadOnlyList<string> Table1(IReadOnlyList<string> pool) =>
        [.. pool.Select(SingleOf), Majority, Random, Uwo, Laser, TsNoOffline, OfflineOnly, Main, Oracle];

    /// <summary>The bases of the catalogue (what comes before a colon; <c>single</c> takes an RM name).</summary>
    public static IReadOnlyList<string> Bases { get; } =
        [Single, Random, Majority, Uwo, Laser, TsNoOffline, OfflineOnly, Main, WeightedScore, Oracle, WinStay, DomainGreedy, BestSingleTrain];

    /// <summary>
    /// The baselines that get the router's information (issue 17): the prompt (win-stay), the domain and the feedback
    /// (domain-greedy), the offline part's labels (best-single-train). Every one reads the same features, domain and group.
    /// </summary>
    public static IReadOnlyList<string> InformedBaselines { get; } = [WinStay, DomainGreedy, BestSingleTrain];

    /// <summary>True for the routers that read the pair's domain and prompt ids after h (<see cref="IKeyedRouter"/>).</summary>
    public static bool IsKeyed(string @base) => @base is WinStay or DomainGreedy;

    /// <summary>True for the routers that learn from feedback.</summary>
    public static bool Learns(string @base) => @base is Laser or TsNoOffline or WeightedScore or WinStay or DomainGreedy;

    /// <summary>What kind of labelling a base is.</summary>
    public static MethodKind KindOf(string @base) => @base switch
    {
        Single => MethodKind.Single,
        Majority or Uwo => MethodKind.Ensemble,
        Oracle => MethodKind.Oracle,
        _ => MethodKind.Router,
    };

    /// <summary>
    /// True for the routers that have no offline router of their own (LASER, ts-no-offline): they read the run's
    /// baseline features (<see cref="BaselineFeatures"/>: h like every other router by default, or the random projection).
    /// </summary>
    public static bool ReadsBaselineFeatures(string @base) => @base is Laser or TsNoOffline;

    /// <summary>
    /// Parses a method name against the pool and the variants a command accepts; a clear <see cref="ArgumentException"/>
    /// names what is wrong (unknown method, RM not in the pool, variant the base does not take).
    /// </summary>
    public static MethodName Parse(string name, IReadOnlyList<string> pool, IReadOnlyList<MethodVariants> variants)
    {
        ArgumentNullException.ThrowIfNull(name);
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        string @base = colon < 0 ? name : name[..colon];
        string? variant = colon < 0 ? null : name[(colon + 1)..];
        if (@base == Single)
        {
            int arm = variant == null ? -1 : IndexOf(pool, variant);
            if (arm < 0) throw new ArgumentException($"method {name}: {variant ?? "(no RM)"} is not in the pool ({string.Join(", ", pool)})");
            return new MethodName(name, Single, MethodKind.Single, arm, variant);
        }
        var taking = variants.Where(v => v.Base == @base).ToArray();
        if (!Bases.Contains(@base) || (@base == WeightedScore && taking.Length == 0))
        {
            var known = Bases.Where(b => b is not (Single or WeightedScore) || variants.Any(v => v.Base == b)).Select(b => b == Single ? "single:<rm>" : b);
            throw new ArgumentException($"method \"{name}\" is unknown (known: {string.Join(", ", known)})");
        }
        if (variant != null)
        {
            if (taking.Length == 0)
                throw new ArgumentException($"method {name}: {@base} takes no variant (only {string.Join(" and ", variants.Select(v => v.Base).Distinct())} take one)");
            if (!taking.Any(v => v.Accepts(variant)))
                throw new ArgumentException($"method {name}: \"{variant}\" is not a variant of {@base} ({string.Join("; ", taking.Select(v => v.Describe()))})");
        }
        else if (@base == WeightedScore) throw new ArgumentException($"method {name}: {WeightedScore} needs its alpha, e.g. {WeightedScore}:0.5");
        return new MethodName(name, @base, KindOf(@base), -1, variant);
    }

    /// <summary>Checks a list of names (each parses, none twice), so a typo fails before any work.</summary>
    public static void Validate(IReadOnlyList<string> names, IReadOnlyList<string> pool, IReadOnlyList<MethodVariants> variants, string option = "--methods")
    {
        if (names.Count == 0) throw new ArgumentException($"{option} lists no method");
        foreach (var n in names) Parse(n, pool, variants);
        var dup = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"{option} lists {dup.Key} twice");
    }

    /// <summary>
    /// The router of a method that routes one RM per pair without the bayesian-router's online model: <c>single</c>,
    /// <c>random</c> (both ignore features), <c>laser</c> and <c>ts-no-offline</c> (on the baseline features, of
    /// <paramref name="baselineDimension"/>), <c>offline-only</c> (argmax of the offline BT scores on h) and
    /// <c>weighted-score:&lt;alpha&gt;</c> (on h). Null for the ensembles, the oracle and the bayesian-router.
    /// </summary>
    /// <param name="seed">A seed per purpose (the run's seed and the method's name).</param>
    /// <param name="training">How often each RM is right on the offline (training) part, overall and per domain:
    /// needed by <c>domain-greedy</c> and <c>best-single-train</c>.</param>
    public static IRouter? Router(MethodName method, OfflineRouter offline, int baselineDimension, BaselineRouterOptions options, Func<string, long> seed,
        ArmAccuracies? training = null)
    {
        ArgumentNullException.ThrowIfNull(offline);
        int arms = offline.Pool.Count;
        ArmAccuracies Training() => training ?? throw new ArgumentException($"method {method.Name} needs the RMs' accuracies on the training part");
        return method.Base switch
        {
            WinStay => new WinStayRouter(arms, offline.FeatureDimension, offline.BtScores),
            DomainGreedy => new DomainGreedyRouter(arms, offline.FeatureDimension, Training()),
            BestSingleTrain => new FixedRouter(arms, Training().Best),
            Single => new FixedRouter(arms, method.Arm),
            Random => new RandomRouter(arms, seed(Random)),
            Laser => new LaserRouter(arms, baselineDimension, new LinUcbOptions { Alpha = options.LaserAlpha }),
            TsNoOffline => new ThompsonSamplingRouter(arms, baselineDimension, new ThompsonSamplingOptions
            {
                PriorVariance = options.PriorVarianceAlone,
                NoiseVariance = options.NoiseVariance,
                Seed = seed(method.Name),
                MaxDegreeOfParallelism = options.MaxDegreeOfParallelism,
            }),
            OfflineOnly => OfflineGreedyRouter.FromOffline(offline),
            WeightedScore => new WeightedScoreRouter(arms, offline.FeatureDimension, offline.BtScores, new WeightedScoreOptions
            {
                Alpha = double.Parse(method.Variant!, NumberStyles.Float, CultureInfo.InvariantCulture),
                Online = new ThompsonSamplingOptions
                {
                    PriorVariance = options.PriorVarianceAlone, NoiseVariance = options.NoiseVariance, Seed = seed(method.Name),
                    MaxDegreeOfParallelism = options.MaxDegreeOfParallelism,
                },
            }),
            _ => null,
        };
    }

    /// <summary>The vote of an ensemble (<c>majority</c>: a tie broken by a seeded coin; <c>uwo</c>: weighted by agreement); null otherwise.</summary>
    public static Func<IReadOnlyList<Preference>, AggregatedLabel>? Aggregator(MethodName method, Func<string, long> seed) => method.Base switch
    {
        Majority => new MajorityVote(seed(Majority)).Aggregate,
        Uwo => new UncertaintyWeightedOptimization(seed(Uwo)).Aggregate,
        _ => null,
    };

    private static int IndexOf(IReadOnlyList<string> pool, string rm)
    {
        for (int i = 0; i < pool.Count; i++) if (pool[i] == rm) return i;
        return -1;
    }
}

/// <summary>A parsed method name: the whole name, its base, its kind, the arm of <c>single:&lt;rm&gt;</c> (else -1) and its variant.</summary>
public sealed record MethodName(string Name, string Base, MethodKind Kind, int Arm, string? Variant);

/// <summary>
/// The variants one command accepts after a base's colon, and what they are (for error messages): a list of names, or
/// any number in [0, 1] (<see cref="AnyUnitNumber"/>, the weighted-score's alpha).
/// </summary>
public sealed record MethodVariants(string Base, IReadOnlyList<string> Names, string What)
{
    /// <summary>Accepts any number in [0, 1] instead of a list.</summary>
    public bool AnyUnitNumber { get; init; }

    public bool Accepts(string variant) => AnyUnitNumber
        ? double.TryParse(variant, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x >= 0 && x <= 1
        : Names.Contains(variant);

    public string Describe() => AnyUnitNumber ? $"{What}: a number in [0, 1]" : $"{What}: {string.Join(", ", Names)}";
}

/// <summary>Settings of the routers <see cref="MethodCatalogue.Router"/> builds (the paper's appendix A.1 where it gives them).</summary>
public sealed record BaselineRouterOptions
{
    /// <summary>sigma_w^2 of the zero-prior Thompson samplers (ts-no-offline, weighted-score's online part; paper: 1).</summary>
    public double PriorVarianceAlone { get; init; } = 1.0;

    /// <summary>sigma^2 (paper: 1).</summary>
    public double NoiseVariance { get; init; } = 1.0;

    /// <summary>Exploration weight of LASER's LinUCB.</summary>
    public double LaserAlpha { get; init; } = 1.0;

    /// <summary>Threads over arms of the Thompson samplers (decisions do not depend on it).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}
