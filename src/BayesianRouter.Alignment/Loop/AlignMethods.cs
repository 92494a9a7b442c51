using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.RewardModels;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>What the catalogue needs to build one seed's methods.</summary>
/// <param name="Calibration">The online stage's calibration fitted on held-out offline pairs (the hierarchical model's prior).</param>
/// <param name="PriorVariance">The paper model's sigma_w^2 for this seed (the option's value, or calibrated on held-out offline pairs).</param>
public sealed record AlignSeedContext(int Seed, AlignOptions Options, IReadOnlyList<IRewardModel> Pool, OfflineRouter Offline, int BaselineDimension,
    OnlineCalibration? Calibration = null, double PriorVariance = 0.02);

/// <summary>
/// The methods of <c>bayesrouter align</c>: the names, parsing and routers of the shared catalogue
/// (<see cref="MethodCatalogue"/>: <c>single:&lt;rm&gt;</c>, <c>random</c>, <c>majority</c>, <c>uwo</c>, <c>laser</c>,
/// <c>ts-no-offline</c>, <c>offline-only</c>, <c>bayesian-router</c>, <c>oracle</c>), run in the DPO loop: labels from
/// the pool's RMs, feedback from the step's DPO losses. The bayesian-router is the live path itself
/// (<see cref="SessionAlignMethod"/>) with the online model of <see cref="AlignOptions.OnlineModel"/>;
/// <c>bayesian-router:paper</c> and <c>bayesian-router:hierarchical</c> name a model. A Thompson-sampling router takes
/// a reward variant after a colon (<c>ts-no-offline:full-advantage</c>, <c>bayesian-router:light-advantage</c>;
/// default: the batch-centred loss).
/// </summary>
public static class AlignMethods
{
    public const string Main = MethodCatalogue.Main;

    private static readonly string[] Rewards = ["loss", "full-advantage", "light-advantage"];
    private static readonly string[] Models = ["paper", "hierarchical"];

    /// <summary>The variants <c>align</c> accepts.</summary>
    public static IReadOnlyList<MethodVariants> Variants { get; } =
    [
        new(MethodCatalogue.TsNoOffline, Rewards, "reward variant"),
        new(Main, [.. Models, .. Rewards], "online model (paper, hierarchical) or reward variant"),
    ];

    /// <summary>The online model a bayesian-router method runs: the one its variant names, else the run's.</summary>
    public static OnlineModel ModelOf(MethodName method, OnlineModel runModel) => method.Variant switch
    {
        "paper" => OnlineModel.Paper,
        "hierarchical" => OnlineModel.Hierarchical,
        _ => runModel,
    };

    /// <summary>The name of a model's row (bayesian-router:paper, bayesian-router:hierarchical).</summary>
    public static string ModelName(OnlineModel model) => $"{Main}:{model.ToString().ToLowerInvariant()}";

    /// <summary>
    /// The default catalogue: Table 1's methods and the bayesian-router with the other online model than the run's (both
    /// models measured in every run, as <c>simulate</c> reports bayesian-router:paper). Table 7's reward variants
    /// (<c>ts-no-offline:full-advantage</c>, ...) run when named in <c>--methods</c>.
    /// </summary>
    public static IReadOnlyList<string> DefaultNames(IReadOnlyList<string> pool) => DefaultNames(pool, RouterSetup.DefaultLiveModel);

    /// <summary>The default catalogue when the bayesian-router runs <paramref name="model"/> (the other model runs beside it).</summary>
    public static IReadOnlyList<string> DefaultNames(IReadOnlyList<string> pool, OnlineModel model)
    {
        var names = MethodCatalogue.Table1(pool).ToList();
        names.Insert(names.IndexOf(Main) + 1, ModelName(model == OnlineModel.Paper ? OnlineModel.Hierarchical : OnlineModel.Paper));
        return names;
    }

    /// <summary>Checks names (so a typo fails before any training).</summary>
    public static void Validate(IReadOnlyList<string> names, IReadOnlyList<string> pool) => MethodCatalogue.Validate(names, pool, Variants);

    /// <summary>The reward variant a name asks for (the batch-centred loss unless it names another).</summary>
    public static RewardVariant RewardOf(MethodName method) => method.Variant switch
    {
        "full-advantage" => RewardVariant.FullAdvantage,
        "light-advantage" => RewardVariant.LightAdvantage,
        _ => RewardVariant.BatchLoss,
    };

    /// <summary>True when the name is a reward variant (the paper's Table 7 rows).</summary>
    public static bool IsRewardVariant(string name) =>
        name.Contains(':', StringComparison.Ordinal) && Rewards.Contains(name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..]) && !name.EndsWith(":loss", StringComparison.Ordinal);

    public static AlignMethod Create(string name, AlignSeedContext ctx)
    {
        var pool = ctx.Pool;
        var m = MethodCatalogue.Parse(name, pool.Select(r => r.Name).ToArray(), Variants);
        var o = ctx.Options;
        long Seed(string purpose) => SimulationRunner.SeedFor(ctx.Seed, purpose);
        var losses = new LossFeedback(pool, RewardOf(m), o.LightComparisons, Seed(name + "/light"));
        if (MethodCatalogue.Aggregator(m, Seed) is { } vote) return new EnsembleAlignMethod(name, vote, pool);
        if (m.Base == MethodCatalogue.Oracle) return new OracleAlignMethod();
        if (m.Base == Main) return new SessionAlignMethod(name, Setup(ModelOf(m, o.OnlineModel), Seed(name), ctx), pool, losses);

        var settings = new BaselineRouterOptions
        {
            PriorVarianceAlone = o.PriorVarianceAlone, NoiseVariance = o.NoiseVariance, LaserAlpha = o.LaserAlpha, MaxDegreeOfParallelism = 1,
        };
        var router = MethodCatalogue.Router(m, ctx.Offline, ctx.BaselineDimension, settings, Seed)
            ?? throw new ArgumentException($"method {name} has no router");
        var feedback = m.Base switch
        {
            MethodCatalogue.Laser => RouterFeedback.PerBatch,
            MethodCatalogue.TsNoOffline => RouterFeedback.PerPair,
            _ => RouterFeedback.None,
        };
        return new RoutedAlignMethod(name, m.Kind, router, pool,
            MethodCatalogue.ReadsBaselineFeatures(m.Base) ? b => b.BaselineFeatures : b => b.Features, feedback, losses);
    }

    /// <summary>
    /// The live session's setup for the seed: the bayesian-router on the seed's offline router as <c>serve --router</c>
    /// builds it (<see cref="RouterSetup.FromOfflineRouter"/>), with the calibration fitted on held-out offline pairs and
    /// the paper model's sigma_w^2 of the seed.
    /// </summary>
    public static RouterSetup Setup(OnlineModel model, long seed, AlignSeedContext ctx) =>
        RouterSetup.FromOfflineRouter(ctx.Offline, seed, new BayesianRouterOptions
        {
            Model = model,
            Calibration = ctx.Calibration,
            PaperPriorVariance = ctx.PriorVariance,
            PaperNoiseVariance = ctx.Options.NoiseVariance,
        });
}
