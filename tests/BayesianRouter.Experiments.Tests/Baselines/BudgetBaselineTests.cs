using BayesianRouter.Baselines;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Experiments.Tests.Routing;

/// <summary>The baselines at a budget: the RouteLLM-style threshold router and the budget-matched mixture.</summary>
public class BudgetBaselineTests
{
    [Fact]
    public void TheThresholdSendsTheLowestMarginsToTheExpensiveRmInTheShareTheBudgetAllows()
    {
        Assert.Equal(0.25, ThresholdRouter.ShareFor(1, 9, 3), 12);      // 1 + 0.25 x 8 = 3
        Assert.Equal(1, ThresholdRouter.ShareFor(1, 9, 9));
        Assert.Equal(0, ThresholdRouter.ShareFor(1, 9, 1));

        var rng = new SeededRandom(4);
        var scores = Enumerable.Range(0, 400).Select(_ => new[] { rng.NextGaussian(), rng.NextGaussian(), rng.NextGaussian() }).ToArray();
        var margins = scores.Select(s => ThresholdRouter.Margin(s, 0, 2)).ToArray();
        double tau = ThresholdRouter.ThresholdFor(margins, 0.25);
        var router = new ThresholdRouter(3, 0, h => scores[(int)h[0]], cheap: 0, expensive: 2, tau);
        var arms = router.Select(Enumerable.Range(0, 400).Select(i => new double[] { i }).ToArray()).Select(d => d.Arm).ToArray();
        Assert.Equal(100, arms.Count(a => a == 2));
        Assert.Equal(300, arms.Count(a => a == 0));
        // the expensive RM gets exactly the pairs whose margin is lowest
        double highestEscalated = arms.Select((a, i) => (a, margins[i])).Where(x => x.a == 2).Max(x => x.Item2);
        double lowestKept = arms.Select((a, i) => (a, margins[i])).Where(x => x.a == 0).Min(x => x.Item2);
        Assert.True(highestEscalated < lowestKept);
        Assert.Equal(double.NegativeInfinity, ThresholdRouter.ThresholdFor(margins, 0));
        Assert.Equal(double.PositiveInfinity, ThresholdRouter.ThresholdFor(margins, 1));
    }

    [Fact]
    public void TheBestMixtureIsOnTheUpperHullOfCostAndAccuracy()
    {
        double[] accuracy = [0.76, 0.71, 0.73, 0.69, 0.77, 0.78];
        double[] costs = [1, 1.1, 2.9, 10, 25, 60];
        var at2 = MixtureRouter.Best(accuracy, costs, 2);
        // the hull from (1, .76) rises most steeply to (25, .77): the two RMs straddling B on it, mixed to cost exactly B
        Assert.Equal((0, 4), (at2.Low, at2.High));
        Assert.Equal(1.0 / 24, at2.Share, 12);
        Assert.Equal(0.76 + 0.01 / 24, at2.Accuracy, 12);
        var atAll = MixtureRouter.Best(accuracy, costs, 60);
        Assert.Equal((5, 0.0), (atAll.Low, atAll.Share));
        // a budget where the best affordable RM alone wins (no costlier RM is more accurate per unit)
        var flat = MixtureRouter.Best([0.8, 0.7], [1, 5], 3);
        Assert.Equal((0, 0.0, 0.8), (flat.Low, flat.Share, flat.Accuracy));
    }

    [Fact]
    public void TheMixtureTakesItsShareAndNeverSpendsMoreThanTheBudgetAtAnyPoint()
    {
        double[] costs = [1, 60];
        double budget = 2.5, share = (budget - 1) / 59;
        var router = new MixtureRouter(2, 0, 1, share);
        double spend = 0;
        int high = 0, t = 0;
        for (int b = 0; b < 50; b++)
            foreach (var d in router.Select(Enumerable.Range(0, 64).Select(_ => new double[] { 0 }).ToArray()))
            {
                t++;
                spend += costs[d.Arm];
                if (d.Arm == 1) high++;
                Assert.True(spend <= budget * t + 1e-9, $"pair {t}: spend {spend} > {budget * t}");
                Assert.True(spend >= budget * t - 59 - 1e-9, $"pair {t}: spend {spend} lags more than one pair's worth");
            }
        Assert.Equal((int)Math.Floor(3200 * share), high);

        var copy = new MixtureRouter(2, 0, 1, share);
        CheckpointFile.Restore(CheckpointFile.ToBytes(router), copy);
        var next = Enumerable.Range(0, 200).Select(_ => new double[] { 0 }).ToArray();
        Assert.Equal(router.Select(next), copy.Select(next));
    }
}
