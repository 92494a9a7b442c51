using System.Globalization;
using BayesianRouter.Baselines;
using BayesianRouter.Live;
using BayesianRouter.Routing;

namespace BayesianRouter.Simulation;

/// <summary>
/// The methods of the simulation, by the names used in results and tables (issue "controlled simulation"):
/// <c>single:&lt;rm&gt;</c>, <c>random</c>, <c>majority</c>, <c>uwo</c>, <c>laser</c>, <c>ts-no-offline</c>,
/// <c>offline-only</c>, <c>bayesian-router</c> (with <c>bayesian-router:paper</c>, the paper's online model, and
/// <c>bayesian-router:no-prompt</c>, without the prompt level), <c>weighted-score:&lt;alpha&gt;</c>, <c>oracle</c>, and with
/// <see cref="SimulationOptions.LiveSession"/> <c>live:hierarchical</c> and <c>live:paper</c> (the live session).
/// Each method draws from its own generators, seeded from the run's seed and the method's name.
/// </summary>
public static class SimulationMethods
{
    /// <summary>The variants the simulation's names take (<see cref="MethodCatalogue.Parse"/>).</summary>
    public static IReadOnlyList<MethodVariants> Variants { get; } =
    [
        new(MethodCatalogue.Main, ["paper", "no-prompt", Unanchored], "online model"),
        new(MethodCatalogue.WeightedScore, [], "alpha") { AnyUnitNumber = true },
    ];

    /// <summary>
    /// The simulation's methods in report order (before the live-session methods, the oracle and the budgets): Table 1's
    /// single RMs, random, the ensembles, LASER, ts-no-offline, offline-only and the bayesian-router, its model variants
    /// (the paper's model, the hierarchical model without the prompt level) and the weighted-score baselines.
    /// </summary>
    /// <summary>
    /// The variant <c>bayesian-router:unanchored</c>: the same online model with plain Thompson sampling over every arm,
    /// without the incumbent anchor (<see cref="AnchoredThompsonRouter"/>): what the do-no-harm rule changes.
    /// </summary>
    public const string Unanchored = "unanchored";

    public static IReadOnlyList<string> Names(SimulationOptions o)
    {
        var names = MethodCatalogue.Table1(o.Pool).Where(n => n != MethodCatalogue.Oracle).ToList();
        names.AddRange(MethodCatalogue.InformedBaselines);
        if (o.ChooseOnlineModel || o.Online.Model != OnlineModel.Paper)
        {
            names.Add(MethodCatalogue.Main + ":paper");
            if (o.Online.UsePrompt) names.Add(MethodCatalogue.Main + ":no-prompt");
        }
        if (o.Online.IncumbentConfidence > 0) names.Add(MethodCatalogue.Main + ":" + Unanchored);
        names.AddRange(o.WeightedScoreAlphas.Select(a => $"{MethodCatalogue.WeightedScore}:{a.ToString(CultureInfo.InvariantCulture)}"));
        return names;
    }

    public static IReadOnlyList<AnnotationMethod> Create(SeedContext ctx)
    {
        var o = ctx.Options;
        var pool = o.Pool;
        var costs = pool.Select(o.CostOf).ToArray();
        var offline = ctx.OfflineRouter;
        long Seed(string purpose) => SimulationRunner.SeedFor(ctx.Seed, purpose);
        var settings = new BaselineRouterOptions { PriorVarianceAlone = o.PriorVarianceAlone, NoiseVariance = o.NoiseVariance, LaserAlpha = o.LaserAlpha };

        RoutedMethod Routed(string name, MethodKind kind, IRouter router, bool learns, Func<SimulationBatch, IReadOnlyList<double[]>> context) =>
            new(name, kind, router, learns, context, pool, costs, o.Feedback, new Random((int)Seed(name + "/feedback")), ctx.Seed);

        // The bayesian-router and its variants, built where every user builds it (BayesianRouterFactory).
        RoutedMethod Bayesian(string name, BayesianRouterOptions online)
        {
            var factory = new BayesianRouterFactory(offline, online with { Calibration = ctx.Calibration, UseDomain = online.UseDomain && o.Offline.UseDomain });
            // the unanchored variant draws what the bayesian-router draws (same seed): the anchor is the only difference
            var router = factory.Create(Seed(name == MethodCatalogue.Main + ":" + Unanchored ? MethodCatalogue.Main : name));
            return Routed(name, MethodKind.Router, router, learns: true,
                context: b => b.Pairs.Select((p, i) => factory.Features(router, b.Features[i], p.Domain, p.Group)).ToArray());
        }

        AnnotationMethod Method(string name)
        {
            var m = MethodCatalogue.Parse(name, pool, Variants);
            if (MethodCatalogue.Aggregator(m, Seed) is { } vote) return new EnsembleMethod(name, vote, pool, costs);
            if (m.Base == MethodCatalogue.Oracle) return new OracleMethod(pool, costs);
            if (m.Base == MethodCatalogue.Main)
                return Bayesian(name, m.Variant switch
                {
                    // the paper's method as the paper specifies it: its linear model, plain Thompson sampling
                    "paper" => o.Online with { Model = OnlineModel.Paper, PaperPriorVariance = o.PriorVarianceWithOffline, PaperNoiseVariance = o.NoiseVariance, IncumbentConfidence = 0 },
                    "no-prompt" => (ctx.Online ?? o.Online) with { UsePrompt = false },
                    Unanchored => (ctx.Online ?? o.Online) with { IncumbentConfidence = 0 },
                    _ => ctx.Online ?? o.Online,
                });
            var router = MethodCatalogue.Router(m, offline, ctx.RawDimension, settings, Seed, ctx.Training)!;
            bool learns = MethodCatalogue.Learns(m.Base);
            if (router is IKeyedRouter keyed)
            {
                // the same domain and group the bayesian-router reads (no domain when the run does not use it)
                bool domains = o.Online.UseDomain && o.Offline.UseDomain;
                return Routed(name, m.Kind, router, learns, b => b.Pairs.Select((p, i) => keyed.Context(b.Features[i], domains ? p.Domain ?? "" : null, p.Group)).ToArray());
            }
            return Routed(name, m.Kind, router, learns, MethodCatalogue.ReadsBaselineFeatures(m.Base) ? b => b.RawFeatures : b => b.Features);
        }

        var methods = Names(o).Select(Method).ToList();
        if (o.LiveSession)
            foreach (var model in new[] { OnlineModel.Hierarchical, OnlineModel.Paper })
            {
                string name = $"live:{model.ToString().ToLowerInvariant()}";
                var setup = RouterSetup.FromOfflineRouter(offline, Seed(name), o.Online with
                {
                    Model = model, Calibration = ctx.Calibration, UseDomain = o.Online.UseDomain && o.Offline.UseDomain,
                    PaperPriorVariance = o.PriorVarianceWithOffline, PaperNoiseVariance = o.NoiseVariance,
                });
                methods.Add(new LiveSessionMethod(name, setup, pool, costs, o.Feedback, new Random((int)Seed(name + "/feedback")), ctx.Seed));
            }
        methods.Add(Method(MethodCatalogue.Oracle));
        foreach (var plan in ctx.Budgets) methods.AddRange(Budgeted(ctx, plan, costs));
        return methods;
    }

    /// <summary>The name of a method run under budget <paramref name="budget"/> (results.json lists it under that budget by its short name).</summary>
    public static string BudgetName(double budget, string method) =>
        string.Create(CultureInfo.InvariantCulture, $"{method}@{budget:R}");

    public const string CostAware = "bayesian-router-budget";
    public const string Threshold = "threshold";
    public const string RandomMix = "random-mix";

    /// <summary>
    /// The methods at one budget: the cost-aware bayesian-router (the seed's bayesian-router, same seed and so the same
    /// draws, anchored on the best RM the budget affords and spent under the budget), the RouteLLM-style threshold router and the budget-matched random mixture.
    /// </summary>
    private static IEnumerable<AnnotationMethod> Budgeted(SeedContext ctx, BudgetPlan plan, double[] costs)
    {
        var o = ctx.Options;
        int arms = o.Pool.Count;
        RoutedMethod Routed(string method, IRouter router, bool learns, Func<SimulationBatch, IReadOnlyList<double[]>> context)
        {
            string name = BudgetName(plan.Budget, method);
            return new RoutedMethod(name, MethodKind.Router, router, learns, context, o.Pool, costs, o.Feedback,
                new Random(SimulationRunner.SeedFor(ctx.Seed, name + "/feedback")), ctx.Seed) { Budget = plan.Budget };
        }

        // the seed's bayesian-router (same model, same seed, so the same draws), its anchor's incumbent the best RM the
        // budget affords (AnchoredThompsonRouter.Affordable): what a live session with the pool file's budget runs
        var online = ctx.Online ?? o.Online;
        var factory = new BayesianRouterFactory(ctx.OfflineRouter, online with { Calibration = ctx.Calibration, UseDomain = online.UseDomain && o.Offline.UseDomain });
        var inner = factory.Create(SimulationRunner.SeedFor(ctx.Seed, SimulationReport.Main));
        yield return Routed(CostAware, CostAwareRouter.Create(inner, costs, plan.Router), true,
            b => b.Pairs.Select((p, i) => factory.Features(inner, b.Features[i], p.Domain, p.Group)).ToArray());

        var margin = ctx.MarginRouter ?? ctx.OfflineRouter;
        var features = ctx.MarginFeatures ?? throw new InvalidOperationException("the threshold baseline needs the margin router's features of the stream");
        yield return Routed(Threshold,
            new ThresholdRouter(arms, margin.FeatureDimension, margin.BtScores, plan.ThresholdCheap, plan.ThresholdExpensive, plan.Threshold), false,
            b => b.Pairs.Select(p => features[p.Id]).ToArray());

        yield return Routed(RandomMix,
            new MixtureRouter(arms, plan.MixLow, plan.MixHigh, plan.MixShare), false,
            b => b.Features);
    }
}
