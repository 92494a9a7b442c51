using BayesianRouter.Routing;
using BayesianRouter.State;
using static BayesianRouter.Core.Tests.Routing.RoutingTestData;

namespace BayesianRouter.Core.Tests.Routing;

public class ThompsonSamplingDecisionTests
{
    private const int D = 5, Arms = 4;

    private static ThompsonSamplingRouter Trained(long seed, int draws = 0, int batches = 3)
    {
        var rng = new SeededRandom(100);
        var router = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = seed, MonteCarloDraws = draws });
        for (int t = 0; t < batches; t++)
        {
            var contexts = Contexts(rng, 12, D);
            var decisions = router.Select(contexts);
            router.Update(contexts.Select((h, i) => new ArmFeedback(h, decisions[i].Arm, rng.NextDouble())).ToArray());
        }
        return router;
    }

    [Fact]
    public void DrawnScoresFollowTheClosedFormScoreDistribution()
    {
        var router = Trained(seed: 7);
        var h = Contexts(new SeededRandom(8), 1, D)[0];
        var moments = router.ScoreMoments([h]);
        const int draws = 4000;
        var samples = Enumerable.Range(0, draws).Select(_ => router.SampleScores(moments)[0]).ToArray();
        for (int n = 0; n < Arms; n++)
        {
            // Mean and variance of h^T w_n computed directly from the posterior mean and covariance.
            var post = router.Posterior(n);
            var cov = post.Covariance();
            double mean = 0, variance = 0;
            for (int i = 0; i < D; i++)
            {
                mean += h[i] * post.Mean[i];
                for (int j = 0; j < D; j++) variance += h[i] * cov[i * D + j] * h[j];
            }
            Assert.Equal(mean, moments.Mean(0, n), 10);
            Assert.Equal(variance, moments.Variance(0, n), 10);
            double sd = Math.Sqrt(variance);
            double ks = KolmogorovSmirnov(samples.Select(s => s[n]), x => NormalCdf((x - mean) / sd));
            Assert.True(ks < 1.36 / Math.Sqrt(draws), $"arm {n}: KS statistic {ks} rejects N(h^T mu, h^T Sigma h) at 5%");
        }
        // Draws are independent across arms: the sample correlation of two arms' scores is near zero.
        double Corr(int a, int b)
        {
            double ma = samples.Average(s => s[a]), mb = samples.Average(s => s[b]);
            double cab = samples.Sum(s => (s[a] - ma) * (s[b] - mb)), ca = samples.Sum(s => (s[a] - ma) * (s[a] - ma)), cb = samples.Sum(s => (s[b] - mb) * (s[b] - mb));
            return cab / Math.Sqrt(ca * cb);
        }
        Assert.True(Math.Abs(Corr(0, 1)) < 4 / Math.Sqrt(draws));
    }

    [Fact]
    public void SelectChoosesTheArgmaxOfTheSampledScores()
    {
        var a = Trained(seed: 9);
        var b = Trained(seed: 9);
        var contexts = Contexts(new SeededRandom(10), 30, D);
        var decisions = a.Select(contexts);
        var scores = b.SampleScores(b.ScoreMoments(contexts));
        for (int p = 0; p < contexts.Length; p++)
        {
            Assert.Equal(RouterBase.ArgMax(scores[p]), decisions[p].Arm);
            Assert.True(double.IsNaN(decisions[p].Probability));
        }
        Assert.True(decisions.Select(d => d.Arm).Distinct().Count() > 1, "a barely trained router still explores");
    }

    [Fact]
    public void ProbabilityEstimationDoesNotChangeDecisions()
    {
        var plain = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 12 });
        var estimating = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 12, MonteCarloDraws = 300 });
        var rng = new SeededRandom(13);
        for (int t = 0; t < 5; t++)
        {
            var contexts = Contexts(rng, 10, D);
            var x = plain.Select(contexts);
            var y = estimating.Select(contexts);
            Assert.Equal(x.Select(d => d.Arm), y.Select(d => d.Arm));
            Assert.All(y, d => Assert.InRange(d.Probability, 0.0, 1.0));
            var feedback = contexts.Select((h, i) => new ArmFeedback(h, x[i].Arm, rng.NextDouble())).ToArray();
            plain.Update(feedback);
            estimating.Update(feedback);
        }
    }

    [Fact]
    public void MonteCarloProbabilityMatchesTheExactTwoArmProbability()
    {
        // Two arms: P(arm 0 chosen) = P(s0 > s1) = Phi((m0 - m1) / sqrt(v0 + v1)).
        var router = new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { Seed = 14, MonteCarloDraws = 20000 });
        var rng = new SeededRandom(15);
        router.Update(Contexts(rng, 8, 3).Select((h, i) => new ArmFeedback(h, i % 2, i % 2 == 0 ? 1.0 : 0.2)).ToArray());
        var h = new[] { 0.8, -0.3, 0.5 };
        var m = router.ScoreMoments([h]);
        double p0 = NormalCdf((m.Mean(0, 0) - m.Mean(0, 1)) / Math.Sqrt(m.Variance(0, 0) + m.Variance(0, 1)));
        var d = router.Select([h])[0];
        double exact = d.Arm == 0 ? p0 : 1 - p0;
        Assert.True(Math.Abs(d.Probability - exact) < 0.015, $"estimate {d.Probability}, exact {exact}");
    }

    [Fact]
    public void SameSeedSameDecisionsAndDifferentSeedsDiffer()
    {
        var contexts = Contexts(new SeededRandom(16), 40, D);
        var a = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 1 }).Select(contexts).Select(d => d.Arm).ToArray();
        var b = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 1 }).Select(contexts).Select(d => d.Arm).ToArray();
        var c = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 2 }).Select(contexts).Select(d => d.Arm).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void LearnsToPreferTheArmThatEarnsMore()
    {
        // Arm 2 earns 1 on every context, the others 0: after some batches it takes most pairs.
        var router = new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 17 });
        var rng = new SeededRandom(18);
        for (int t = 0; t < 30; t++)
        {
            var contexts = Contexts(rng, 32, D).Select(h => { h[0] = 1; return h; }).ToArray();
            var decisions = router.Select(contexts);
            router.Update(contexts.Select((h, i) => new ArmFeedback(h, decisions[i].Arm, decisions[i].Arm == 2 ? 1.0 : 0.0)).ToArray());
        }
        var last = router.Select(Contexts(rng, 200, D).Select(h => { h[0] = 1; return h; }).ToArray());
        Assert.True(last.Count(d => d.Arm == 2) > 150, $"arm 2 took {last.Count(d => d.Arm == 2)} of 200");
    }

    [Fact]
    public void ParallelAndSequentialRunsAreIdentical()
    {
        // d = 160 and 64 pairs: above the work size from which the arms run in parallel.
        const int d = 160;
        var seq = new ThompsonSamplingRouter(Arms, d, new ThompsonSamplingOptions { Seed = 19, MaxDegreeOfParallelism = 1 });
        var par = new ThompsonSamplingRouter(Arms, d, new ThompsonSamplingOptions { Seed = 19, MaxDegreeOfParallelism = -1 });
        var rng = new SeededRandom(20);
        for (int t = 0; t < 3; t++)
        {
            var contexts = Contexts(rng, 64, d, 0.1);
            var a = seq.Select(contexts);
            Assert.Equal(a, par.Select(contexts));
            var feedback = contexts.Select((h, i) => new ArmFeedback(h, a[i].Arm, rng.NextDouble())).ToArray();
            seq.Update(feedback);
            par.Update(feedback);
        }
        for (int n = 0; n < Arms; n++) Assert.True(seq.Posterior(n).PrecisionFactor.SequenceEqual(par.Posterior(n).PrecisionFactor));
    }
}
