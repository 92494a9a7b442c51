using BayesianRouter.Cli.Reports;
using BayesianRouter.Simulation;

namespace BayesianRouter.Cli.Tests;

public class SimulationPlotsTests
{
    private static MethodResult Method(string name, MethodKind kind, double accuracy, double cost = 1) => new()
    {
        Name = name, Kind = kind, AccuracyPerSeed = [accuracy, accuracy], Accuracy = Summary.Of([accuracy - 0.01, accuracy + 0.01]),
        WeightedAccuracy = accuracy, RmCallsPerPair = cost, CostPerPair = cost, Share = new Dictionary<string, double>(),
        StreamAccuracy = [accuracy, accuracy], StreamShare = [], Domains = new Dictionary<string, DomainAccuracy>(),
    };

    private static SimulationResult Result() => new()
    {
        Pool = ["a", "b"], Seeds = [1, 2], Feedback = "truth", Split = "random", BatchSize = 64, OfflineFraction = 0.5,
        SeparateOfflinePairs = false, PairsOnlinePerSeed = [100, 100], PairsOfflinePerSeed = [100, 100],
        Methods =
        [
            Method("single:a", MethodKind.Single, 0.70), Method("single:b", MethodKind.Single, 0.72), Method("random", MethodKind.Router, 0.6),
            Method("majority", MethodKind.Ensemble, 0.69, 2), Method("offline-only", MethodKind.Router, 0.73),
            Method("bayesian-router", MethodKind.Router, 0.76), Method("weighted-score:0.5", MethodKind.Router, 0.74),
            Method("weighted-score:0.75", MethodKind.Router, 0.745), Method("oracle", MethodKind.Oracle, 0.9),
        ],
    };

    [Fact]
    public void TheFrontierLabelsEverySingleRmAndEveryBudgetOfTheCostAwareRouter()
    {
        var r = Result();
        var withBudgets = r with
        {
            Budgets =
            [
                new BudgetResult(1.5, [Method("bayesian-router-budget", MethodKind.Router, 0.75, 1.49), Method("threshold", MethodKind.Router, 0.71, 1.4),
                    Method("random-mix", MethodKind.Router, 0.70, 1.5), Method("single:a", MethodKind.Single, 0.70)]),
                new BudgetResult(3, [Method("bayesian-router-budget", MethodKind.Router, 0.77, 2.9), Method("threshold", MethodKind.Router, 0.72, 2.8),
                    Method("random-mix", MethodKind.Router, 0.71, 3), Method("single:a", MethodKind.Single, 0.70)]),
            ],
        };
        var plot = SimulationPlots.Frontier(withBudgets);
        plot.GetImageBytes(800, 400, ScottPlot.ImageFormat.Png);
        var texts = plot.GetPlottables().OfType<ScottPlot.Plottables.Text>().Select(t => t.LabelText).ToList();
        Assert.Contains("B=1.5: 0.750", texts);
        Assert.Contains("B=3: 0.770", texts);
        Assert.Contains("a 0.700", texts);
        Assert.Contains("b 0.720", texts);
        var legend = plot.GetPlottables().Select(p => p.LegendItems.FirstOrDefault()?.LabelText).Where(t => !string.IsNullOrEmpty(t)).ToList();
        Assert.Contains("bayesian-router-budget (cost-aware)", legend);
        Assert.Contains(legend, l => l!.StartsWith("threshold", StringComparison.Ordinal));
        Assert.Contains(legend, l => l!.StartsWith("random-mix", StringComparison.Ordinal));
        Assert.Contains(legend, l => l!.StartsWith("bayesian-router, no budget", StringComparison.Ordinal));
    }

    [Fact]
    public void TheMethodsThatMatterHaveDistinctColoursAndTheRestNone()
    {
        var colours = SimulationPlots.Highlighted(Result());
        Assert.Equal(new[] { "bayesian-router", "offline-only", "single:b", "weighted-score:0.75", "oracle" }, colours.Keys);
        Assert.Equal(colours.Count, colours.Values.Distinct().Count());
    }

    [Fact]
    public void AccuracyCostLabelsEveryMethodWithItsAccuracyAndCost()
    {
        var plot = SimulationPlots.AccuracyCost(Result());
        plot.GetImageBytes(800, 400, ScottPlot.ImageFormat.Png);   // ticks are laid out when the plot is drawn
        var labels = plot.Axes.Left.TickGenerator.Ticks.Select(t => t.Label).Where(l => l.Length > 0).ToList();
        Assert.Equal(9, labels.Count);
        Assert.Equal("oracle  0.900  (cost 1)", labels.Last());                 // best on top
        Assert.Contains("majority  0.690  (cost 2)", labels);
    }

    [Fact]
    public void StreamLegendNamesOnlyTheHighlightedMethods()
    {
        var plot = SimulationPlots.StreamAccuracy(Result());
        var legend = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText).Where(t => !string.IsNullOrEmpty(t)).ToList();
        Assert.Equal(5, legend.Count);
        Assert.Contains("bayesian-router (0.760)", legend);
        Assert.DoesNotContain(legend, l => l.StartsWith("random", StringComparison.Ordinal));
    }
}
