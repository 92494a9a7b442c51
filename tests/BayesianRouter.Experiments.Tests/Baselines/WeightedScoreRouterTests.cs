using BayesianRouter.Baselines;
using BayesianRouter.Routing;
using BayesianRouter.State;
using static BayesianRouter.Core.Tests.Routing.RoutingTestData;

namespace BayesianRouter.Experiments.Tests.Routing;

public class WeightedScoreRouterTests
{
    private const int D = 4, Arms = 3;
    private static double[] Offline(double[] h) => [h[0], 0.5 * h[1], -h[0] + h[2]];

    [Fact]
    public void MixesTheTwoSoftmaxesWithWeightAlpha()
    {
        var online = new ThompsonSamplingOptions { Seed = 5 };
        var router = new WeightedScoreRouter(Arms, D, Offline, new WeightedScoreOptions { Alpha = 0.25, Online = online });
        var twin = new ThompsonSamplingRouter(Arms, D, online); // same seed: the same draws as the online part
        var rng = new SeededRandom(6);
        for (int t = 0; t < 4; t++)
        {
            var contexts = Contexts(rng, 20, D);
            var expected = twin.SampleScores(twin.ScoreMoments(contexts)).Select((s2, p) =>
            {
                var a = Softmax.Of(Offline(contexts[p]));
                var b = Softmax.Of(s2);
                return RouterBase.ArgMax(a.Select((x, n) => 0.25 * x + 0.75 * b[n]).ToArray());
            }).ToArray();
            var decisions = router.Select(contexts);
            Assert.Equal(expected, decisions.Select(d => d.Arm));
            var feedback = contexts.Select((h, i) => new ArmFeedback(h, decisions[i].Arm, rng.NextDouble())).ToArray();
            router.Update(feedback);
            twin.Update(feedback);
        }
        for (int n = 0; n < Arms; n++) Assert.Equal(twin.Posterior(n).Mean.ToArray(), router.Online.Posterior(n).Mean.ToArray());
    }

    [Fact]
    public void AlphaOneIsTheOfflineRouterAndAlphaZeroIsThompsonSampling()
    {
        var contexts = Contexts(new SeededRandom(7), 40, D);
        var offlineOnly = new WeightedScoreRouter(Arms, D, Offline, new WeightedScoreOptions { Alpha = 1 });
        Assert.Equal(contexts.Select(h => RouterBase.ArgMax(Offline(h))), offlineOnly.Select(contexts).Select(d => d.Arm));
        var onlineOnly = new WeightedScoreRouter(Arms, D, Offline, new WeightedScoreOptions { Alpha = 0, Online = new() { Seed = 8 } });
        var ts = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 8 });
        Assert.Equal(ts.Select(contexts).Select(d => d.Arm), onlineOnly.Select(contexts).Select(d => d.Arm));
    }

    [Fact]
    public void PosteriorMeanScoresAreDeterministic()
    {
        var contexts = Contexts(new SeededRandom(9), 10, D);
        var a = new WeightedScoreRouter(Arms, D, Offline, new WeightedScoreOptions { OnlineScore = OnlineScoreKind.PosteriorMean, Online = new() { Seed = 1 } });
        var b = new WeightedScoreRouter(Arms, D, Offline, new WeightedScoreOptions { OnlineScore = OnlineScoreKind.PosteriorMean, Online = new() { Seed = 2 } });
        var x = a.Select(contexts);
        Assert.Equal(x, b.Select(contexts));
        Assert.All(x, d => Assert.Equal(1.0, d.Probability));
    }

    [Fact]
    public void ProbabilityEstimateDoesNotChangeDecisions()
    {
        var contexts = Contexts(new SeededRandom(10), 10, D);
        var a = new WeightedScoreRouter(Arms, D, Offline, new WeightedScoreOptions { Alpha = 0.5, Online = new() { Seed = 3 } });
        var b = new WeightedScoreRouter(Arms, D, Offline, new WeightedScoreOptions { Alpha = 0.5, Online = new() { Seed = 3 }, MonteCarloDraws = 200 });
        var x = a.Select(contexts);
        var y = b.Select(contexts);
        Assert.Equal(x.Select(d => d.Arm), y.Select(d => d.Arm));
        Assert.All(x, d => Assert.True(double.IsNaN(d.Probability)));
        Assert.All(y, d => Assert.InRange(d.Probability, 0.0, 1.0));
    }
}
