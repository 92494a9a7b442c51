using BayesianRouter.Aggregation;
using BayesianRouter.Offline;
using BayesianRouter.RewardModels;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>What the catalogue needs to build one seed's methods.</summary>
public sealed record AlignSeedContext(int Seed, AlignOptions Options, IReadOnlyList<IRewardModel> Pool, OfflineRouter Offline, int RawDimension);

/// <summary>
/// The methods of <c>bayesrouter align</c>, named as in the simulation: <c>single:&lt;rm&gt;</c>, <c>random</c>,
/// <c>majority</c>, <c>uwo</c>, <c>laser</c>, <c>ts-no-offline</c>, <c>offline-only</c>, <c>bayesian-router</c>,
/// <c>oracle</c>; a Thompson-sampling router takes a reward variant after a colon
/// (<c>ts-no-offline:full-advantage</c>, <c>bayesian-router:light-advantage</c>; default: the batch-centred loss).
/// Every method draws from its own generators, seeded from the seed and its name.
/// </summary>
public static class AlignMethods
{
    public const string Main = "bayesian-router";

    /// <summary>The default catalogue: Table 1's methods, the oracle, and Table 7's reward variants of ts-no-offline.</summary>
    public static IReadOnlyList<string> DefaultNames(IReadOnlyList<string> pool) =>
    [
        .. pool.Select(rm => $"single:{rm}"), "random", "majority", "uwo", "laser", "ts-no-offline", "offline-only", Main, "oracle",
        "ts-no-offline:full-advantage", "ts-no-offline:light-advantage",
    ];

    /// <summary>Checks names (so a typo fails before any training).</summary>
    public static void Validate(IReadOnlyList<string> names, IReadOnlyList<string> pool)
    {
        if (names.Count == 0) throw new ArgumentException("--methods lists no method");
        foreach (var n in names) Parse(n, pool);
        var dup = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"--methods lists {dup.Key} twice");
    }

    private static (string Base, RewardVariant Reward, int Arm) Parse(string name, IReadOnlyList<string> pool)
    {
        if (name.StartsWith("single:", StringComparison.Ordinal))
        {
            int arm = pool.ToList().IndexOf(name["single:".Length..]);
            if (arm < 0) throw new ArgumentException($"method {name}: {name["single:".Length..]} is not in the pool ({string.Join(", ", pool)})");
            return ("single", RewardVariant.BatchLoss, arm);
        }
        var parts = name.Split(':', 2);
        var reward = parts.Length == 1 ? RewardVariant.BatchLoss : parts[1] switch
        {
            "loss" => RewardVariant.BatchLoss,
            "full-advantage" => RewardVariant.FullAdvantage,
            "light-advantage" => RewardVariant.LightAdvantage,
            _ => throw new ArgumentException($"method {name}: reward variant \"{parts[1]}\" is unknown (loss, full-advantage, light-advantage)"),
        };
        string[] known = ["random", "majority", "uwo", "laser", "ts-no-offline", "offline-only", Main, "oracle"];
        if (!known.Contains(parts[0]))
            throw new ArgumentException($"method \"{name}\" is unknown (single:<rm>, {string.Join(", ", known)}; ts-no-offline and {Main} take :full-advantage or :light-advantage)");
        if (parts.Length > 1 && parts[0] is not ("ts-no-offline" or Main))
            throw new ArgumentException($"method {name}: only ts-no-offline and {Main} take a reward variant");
        return (parts[0], reward, -1);
    }

    public static AlignMethod Create(string name, AlignSeedContext ctx)
    {
        var (kind, reward, arm) = Parse(name, ctx.Pool.Select(r => r.Name).ToArray());
        var o = ctx.Options;
        var pool = ctx.Pool;
        int arms = pool.Count;
        long Seed(string purpose) => Simulation.SimulationRunner.SeedFor(ctx.Seed, purpose);
        RoutedAlignMethod Routed(MethodKind k, IRouter router, bool raw, RouterFeedback feedback) =>
            new(name, k, router, pool, raw ? b => b.RawFeatures : b => b.Features, feedback, reward, o.LightComparisons, Seed(name + "/light"));
        return kind switch
        {
            "single" => Routed(MethodKind.Single, new FixedRouter(arms, arm), false, RouterFeedback.None),
            "random" => Routed(MethodKind.Router, new RandomRouter(arms, Seed("random")), false, RouterFeedback.None),
            "majority" => new EnsembleAlignMethod(name, new MajorityVote(Seed("majority")).Aggregate, pool),
            "uwo" => new EnsembleAlignMethod(name, new UncertaintyWeightedOptimization(Seed("uwo")).Aggregate, pool),
            "laser" => Routed(MethodKind.Router, new LaserRouter(arms, ctx.RawDimension, new LinUcbOptions { Alpha = o.LaserAlpha }), true, RouterFeedback.PerBatch),
            "ts-no-offline" => Routed(MethodKind.Router, new ThompsonSamplingRouter(arms, ctx.RawDimension, new ThompsonSamplingOptions
            {
                PriorVariance = o.PriorVarianceAlone, NoiseVariance = o.NoiseVariance, Seed = Seed(name), MaxDegreeOfParallelism = 1,
            }), true, RouterFeedback.PerPair),
            "offline-only" => Routed(MethodKind.Router, OfflineGreedyRouter.FromOffline(ctx.Offline), false, RouterFeedback.None),
            Main => Routed(MethodKind.Router, new ThompsonSamplingRouter(arms, ctx.Offline.FeatureDimension,
                ThompsonSamplingOptions.WithOfflinePrior(ctx.Offline, Seed(name), o.PriorVarianceWithOffline) with
                {
                    NoiseVariance = o.NoiseVariance, MaxDegreeOfParallelism = 1,
                }), false, RouterFeedback.PerPair),
            _ => new OracleAlignMethod(),
        };
    }
}
