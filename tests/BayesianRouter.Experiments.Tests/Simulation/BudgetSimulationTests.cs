using System.Text.Json;
using BayesianRouter.Data;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;

namespace BayesianRouter.Experiments.Tests.Simulation;

/// <summary>The simulation under budgets: which methods run, what they spend, and what their plans may read.</summary>
public class BudgetSimulationTests
{
    private static readonly string[] Pool = ["good", "math", "coin", "never"];
    private static readonly Dictionary<string, double> Costs = new() { ["good"] = 4, ["math"] = 1, ["coin"] = 1, ["never"] = 0.5 };

    private static SimulationOptions Options(params double[] budgets) => new()
    {
        Pool = Pool,
        Seeds = [1, 2, 3],
        BatchSize = 16,
        Costs = Costs,
        Budgets = budgets,
        // budgets are about the online choice: keep the offline router whatever its validation part says
        Offline = new OfflineTrainingOptions { Dimension = 4, ShrinkToBestSingle = false },
    };

    private static SimulationResult Run(List<PreferencePair> pairs, SimulationOptions options, List<PreferencePair>? offline = null) =>
        new SimulationRunner(new HashEmbedder(), new BiasOnlyTrainer()).Run(pairs, offline, options);

    [Fact]
    public void EachBudgetListsItsThreeMethodsAndTheSingleRmsThatFitIt()
    {
        var result = Run(SimulationData.Pairs(60, 1), Options(1, 2.5, 4));
        Assert.Equal(new[] { 1, 2.5, 4 }, result.Budgets.Select(b => b.Budget));
        string[] Names(int i) => result.Budgets[i].Methods.Select(m => m.Name).ToArray();
        Assert.Equal(new[] { "bayesian-router-budget", "threshold", "random-mix", "single:math", "single:coin", "single:never" }, Names(0));
        Assert.Equal(Names(0), Names(1));
        Assert.Equal(new[] { "bayesian-router-budget", "threshold", "random-mix", "single:good", "single:math", "single:coin", "single:never" }, Names(2));
        // the main table is unchanged: no method run under a budget joins it
        Assert.DoesNotContain(result.Methods, m => m.Name.Contains('@') || m.Name == "bayesian-router-budget");
        Assert.Contains(result.Methods, m => m.Name == "bayesian-router");

        var json = JsonDocument.Parse(SimulationJson.Serialize(result)).RootElement.GetProperty("budgets");
        Assert.Equal(3, json.GetArrayLength());
        var first = json[0].GetProperty("methods")[0];
        Assert.Equal(1, json[0].GetProperty("budget").GetDouble());
        foreach (var field in new[] { "name", "accuracy_mean", "accuracy_std", "cost_per_pair", "cost_per_pair_max" })
            Assert.True(first.TryGetProperty(field, out _), field);
        double max = first.GetProperty("cost_per_seed").EnumerateArray().Max(x => x.GetDouble());
        Assert.Equal(max, first.GetProperty("cost_per_pair_max").GetDouble());
    }

    [Fact]
    public void TheCostAwareRouterAndTheMixtureStayWithinEveryBudgetInEverySeed()
    {
        var result = Run(SimulationData.Pairs(80, 2), Options(0.5, 1, 1.7, 2.5));
        foreach (var b in result.Budgets)
        {
            foreach (var name in new[] { "bayesian-router-budget", "random-mix" })
            {
                var m = b.Method(name)!;
                Assert.Equal(3, m.CostPerSeed.Count);
                Assert.All(m.CostPerSeed, c => Assert.True(c <= b.Budget + 1e-9, $"{name} spent {c} per pair at budget {b.Budget}"));
            }
            // the budget is spent on something: the cost-aware router never does worse than the cheapest RM alone
            Assert.True(b.Method("bayesian-router-budget")!.Accuracy.Mean >= b.Method("single:never")!.Accuracy.Mean);
        }
        // at 0.5 only the cheapest RM is affordable, at every pair
        Assert.Equal(1.0, result.Budgets[0].Method("bayesian-router-budget")!.Share["never"]);
    }

    [Fact]
    public void AtABudgetEveryRmFitsTheCostAwareRouterMakesTheBayesianRoutersDecisions()
    {
        // the cost-aware router spends the bayesian-router's own draws, anchored on the best RM the budget affords: where
        // every RM fits (4 = the dearest RM's cost, and 100) that is the bayesian-router's incumbent, so it makes the
        // bayesian-router's decisions; with the anchor off (confidence 0) those of the plain model, which mixes RMs
        foreach (var confidence in new[] { AnchoredThompsonRouter.DefaultConfidence, 0 })
        {
            var options = Options(4, 100);
            var result = Run(SimulationData.Pairs(60, 3), options with { Online = options.Online with { IncumbentConfidence = confidence } });
            var free = result.Method("bayesian-router");
            foreach (var b in result.Budgets)
            {
                var m = b.Method("bayesian-router-budget")!;
                Assert.Equal(free.AccuracyPerSeed, m.AccuracyPerSeed);
                Assert.Equal(free.Share, m.Share);
                Assert.Equal(free.CostPerPair, m.CostPerPair, 12);
            }
            if (confidence == 0) Assert.True(free.Share["good"] is > 0 and < 1, "the test needs a router that mixes RMs of different costs");
        }
    }

    [Fact]
    public void UnderABudgetThatExcludesTheIncumbentTheCostAwareRouterKeepsToTheBestRmItAffords()
    {
        // "good" (cost 4, right on 80%) is the offline pick; at a budget of 1 the incumbent is the best RM of cost <= 1 by
        // the seed's offline scores ("math" or "coin", each right on about half of the offline pairs; never "never"):
        // without credible evidence against it the cost-aware router routes every pair there
        var result = Run(SimulationData.Pairs(60, 7), Options(1));
        var anchored = result.Budgets[0].Method("bayesian-router-budget")!;
        Assert.True(anchored.Share["math"] + anchored.Share["coin"] == 1, string.Join(", ", anchored.Share.Select(kv => $"{kv.Key} {kv.Value:F3}")));
        Assert.Equal(0, anchored.Share["never"]);
    }

    [Fact]
    public void ThePlansAreMadeOnTheOfflineSideAlone()
    {
        // the same offline file, two streams whose ground truth and judgments differ: every plan (price, step, threshold,
        // mixture) must be the same, because none may read the stream
        var offline = SimulationData.Pairs(60, 4).Select(p => p with { Id = "off-" + p.Id, Group = "off-" + p.Group }).ToList();
        var streamA = SimulationData.Pairs(30, 5);
        var streamB = SimulationData.Pairs(30, 6);
        var a = Run(streamA, Options(1, 2.5), offline);
        var b = Run(streamB, Options(1, 2.5), offline);
        static string Plans(SimulationResult r) => string.Join("\n", r.OfflineRouterInfo.OrderBy(kv => kv.Key).Select(kv => kv.Value[kv.Value.IndexOf("offline router:", StringComparison.Ordinal)..]));
        Assert.Contains("budget 2.5: price lambda_0", Plans(a));
        Assert.Equal(Plans(a), Plans(b));
        // the streams do differ (the plans' equality means something)
        Assert.NotEqual(a.Budgets[0].Method("single:coin")!.AccuracyPerSeed, b.Budgets[0].Method("single:coin")!.AccuracyPerSeed);
    }

    [Fact]
    public void ABudgetBelowTheCheapestRmIsRefusedBeforeAnythingRuns()
    {
        var e = Assert.Throws<ArgumentException>(() => Run(SimulationData.Pairs(10, 1), Options(0.4)));
        Assert.Contains("--budget 0.4 is below the cheapest RM's cost (never = 0.5)", e.Message);
        Assert.Throws<ArgumentException>(() => Run(SimulationData.Pairs(10, 1), Options(1, 1)));
        Assert.Throws<ArgumentException>(() => Run(SimulationData.Pairs(10, 1), Options(double.PositiveInfinity)));
    }
}
