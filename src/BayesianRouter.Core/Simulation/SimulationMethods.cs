using System.Globalization;
using BayesianRouter.Aggregation;
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
    public static IReadOnlyList<AnnotationMethod> Create(SeedContext ctx)
    {
        var o = ctx.Options;
        var pool = o.Pool;
        int arms = pool.Count;
        var costs = pool.Select(o.CostOf).ToArray();
        var offline = ctx.OfflineRouter;
        int dim = offline.FeatureDimension;
        long Seed(string purpose) => SimulationRunner.SeedFor(ctx.Seed, purpose);

        RoutedMethod Routed(string name, MethodKind kind, IRouter router, bool learns, bool raw = false,
            Func<SimulationBatch, IReadOnlyList<double[]>>? context = null) =>
            new(name, kind, router, learns, context ?? (raw ? b => b.RawFeatures : b => b.Features), pool, costs, o.Feedback,
                new Random((int)Seed(name + "/feedback")), ctx.Seed);

        // The bayesian-router and its variants, built where every user builds it (BayesianRouterFactory).
        RoutedMethod Bayesian(string name, BayesianRouterOptions online)
        {
            var factory = new BayesianRouterFactory(offline, online with { Calibration = ctx.Calibration, UseDomain = online.UseDomain && o.Offline.UseDomain });
            var router = factory.Create(Seed(name));
            return Routed(name, MethodKind.Router, router, learns: true,
                context: b => b.Pairs.Select((p, i) => factory.Features(router, b.Features[i], p.Domain, p.Group)).ToArray());
        }

        var methods = new List<AnnotationMethod>();
        for (int n = 0; n < arms; n++)
            methods.Add(Routed($"single:{pool[n]}", MethodKind.Single, new FixedRouter(arms, n, dim), learns: false));
        methods.Add(Routed("random", MethodKind.Router, new RandomRouter(arms, Seed("random"), dim), learns: false));
        methods.Add(new EnsembleMethod("majority", new MajorityVote(Seed("majority")).Aggregate, pool, costs));
        methods.Add(new EnsembleMethod("uwo", new UncertaintyWeightedOptimization(Seed("uwo")).Aggregate, pool, costs));
        methods.Add(Routed("laser", MethodKind.Router,
            new LaserRouter(arms, ctx.RawDimension, new LinUcbOptions { Alpha = o.LaserAlpha }), learns: true, raw: true));
        methods.Add(Routed("ts-no-offline", MethodKind.Router,
            new ThompsonSamplingRouter(arms, ctx.RawDimension, new ThompsonSamplingOptions
            {
                PriorVariance = o.PriorVarianceAlone,
                NoiseVariance = o.NoiseVariance,
                Seed = Seed("ts-no-offline"),
            }), learns: true, raw: true));
        methods.Add(Routed("offline-only", MethodKind.Router, OfflineGreedyRouter.FromOffline(offline), learns: false));
        methods.Add(Bayesian(SimulationReport.Main, ctx.Online ?? o.Online));
        if (o.ChooseOnlineModel || o.Online.Model != OnlineModel.Paper)
        {
            methods.Add(Bayesian(SimulationReport.Main + ":paper", o.Online with
            {
                Model = OnlineModel.Paper, PaperPriorVariance = o.PriorVarianceWithOffline, PaperNoiseVariance = o.NoiseVariance,
            }));
            if (o.Online.UsePrompt) methods.Add(Bayesian(SimulationReport.Main + ":no-prompt", o.Online with { UsePrompt = false }));
        }
        foreach (var alpha in o.WeightedScoreAlphas)
        {
            string name = $"weighted-score:{alpha.ToString(CultureInfo.InvariantCulture)}";
            methods.Add(Routed(name, MethodKind.Router, new WeightedScoreRouter(arms, dim, offline.BtScores, new WeightedScoreOptions
            {
                Alpha = alpha,
                Online = new ThompsonSamplingOptions { PriorVariance = o.PriorVarianceAlone, NoiseVariance = o.NoiseVariance, Seed = Seed(name) },
            }), learns: true));
        }
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
        methods.Add(new OracleMethod(pool, costs));
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
    /// draws, spent under the budget), the RouteLLM-style threshold router and the budget-matched random mixture.
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

        var online = ctx.Online ?? o.Online;
        var factory = new BayesianRouterFactory(ctx.OfflineRouter, online with { Calibration = ctx.Calibration, UseDomain = online.UseDomain && o.Offline.UseDomain });
        var inner = factory.Create(SimulationRunner.SeedFor(ctx.Seed, SimulationReport.Main));
        yield return Routed(CostAware, new CostAwareRouter((IThompsonRouter)inner, costs, plan.Router), true,
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
