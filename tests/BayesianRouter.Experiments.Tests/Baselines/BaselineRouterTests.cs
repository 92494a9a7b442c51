using BayesianRouter.Baselines;
using BayesianRouter.Routing;
using BayesianRouter.State;
using static BayesianRouter.Core.Tests.Routing.RoutingTestData;

namespace BayesianRouter.Experiments.Tests.Routing;

public class BaselineRouterTests
{
    [Fact]
    public void RandomRouterIsUniformAndSeeded()
    {
        const int arms = 5, pairs = 10000;
        var contexts = Enumerable.Range(0, pairs).Select(_ => Array.Empty<double>()).ToArray();
        var a = new RandomRouter(arms, seed: 1).Select(contexts);
        var b = new RandomRouter(arms, seed: 1).Select(contexts);
        Assert.Equal(a, b);
        Assert.All(a, d => Assert.Equal(1.0 / arms, d.Probability));
        var counts = new double[arms];
        foreach (var d in a) counts[d.Arm]++;
        double chi2 = counts.Sum(c => (c - pairs / (double)arms) * (c - pairs / (double)arms) / (pairs / (double)arms));
        Assert.True(chi2 < 13.28, $"chi-square {chi2} (4 degrees of freedom, 1% level 13.28)");
        Assert.NotEqual(a, new RandomRouter(arms, seed: 2).Select(contexts));
    }

    [Fact]
    public void FixedRouterAlwaysPicksItsArm()
    {
        var router = new FixedRouter(4, 2);
        Assert.All(router.Select([[1.0], [2.0, 3.0], []]), d => Assert.Equal(new RoutingDecision(2, 1.0), d));
        router.Update([new ArmFeedback([1.0], 3, 0.5)]);
        Assert.All(router.Select([[1.0]]), d => Assert.Equal(2, d.Arm));
    }

    [Fact]
    public void OfflineGreedyTakesTheArgmaxOfTheScoresWithTiesToTheLowestArm()
    {
        var router = new OfflineGreedyRouter(3, 2, h => [h[0], h[1], h[0] + h[1]]);
        var decisions = router.Select([[1, -1], [-1, 2], [1, 1], [0, 0]]);
        Assert.Equal([0, 1, 2, 0], decisions.Select(d => d.Arm));
        Assert.All(decisions, d => Assert.Equal(1.0, d.Probability));
    }

    [Fact]
    public void OfflineGreedyFromAnOfflineRouterMatchesItsChoice()
    {
        var rng = new SeededRandom(3);
        double[] R(int n) => Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray();
        var offline = new BayesianRouter.Offline.OfflineRouter(["a", "b", "c"], "enc", 2, 64, [], BayesianRouter.Offline.FusionActivation.Tanh,
            4, R(4 * 4), R(4), R(3 * 5), R(3 * 5));
        var router = OfflineGreedyRouter.FromOffline(offline);
        var contexts = Contexts(rng, 50, 5);
        Assert.Equal(contexts.Select(offline.Choose), router.Select(contexts).Select(d => d.Arm));
    }

    [Fact]
    public void ArgMaxBreaksTiesTowardTheLowestIndex()
    {
        Assert.Equal(1, RouterBase.ArgMax([1.0, 3.0, 3.0, 2.0]));
        Assert.Equal(0, RouterBase.ArgMax([5.0, 5.0]));
        Assert.Equal(2, RouterBase.ArgMax([-3.0, -2.0, -1.0]));
    }

    [Fact]
    public void SoftmaxIsStableAndNormalised()
    {
        var p = Softmax.Of([1000.0, 1000.0, 999.0]);
        Assert.Equal(1.0, p.Sum(), 12);
        Assert.Equal(p[0], p[1]);
        Assert.Equal(Math.Exp(-1) * p[0], p[2], 12);
    }
}
