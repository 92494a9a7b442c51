using BayesianRouter.Routing;
using BayesianRouter.State;
using static BayesianRouter.Core.Tests.Routing.RoutingTestData;

namespace BayesianRouter.Core.Tests.Routing;

public class ThompsonSamplingPosteriorTests
{
    private const int D = 7, Arms = 3;

    private static ThompsonSamplingOptions Options(SeededRandom rng) => new()
    {
        PriorVariance = 0.5,
        NoiseVariance = 0.7,
        Seed = 11,
        PriorMean = Enumerable.Range(0, Arms).Select(_ => Enumerable.Range(0, D).Select(_ => rng.NextGaussian()).ToArray()).ToArray(),
    };

    [Fact]
    public void BatchPosteriorEqualsClosedFormBayesianLinearRegression()
    {
        var rng = new SeededRandom(1);
        var options = Options(rng);
        var router = new ThompsonSamplingRouter(Arms, D, options);
        var seen = new List<ArmFeedback>();
        for (int t = 0; t < 6; t++)
        {
            var contexts = Contexts(rng, 16, D);
            var decisions = router.Select(contexts);
            var feedback = contexts.Select((h, i) => new ArmFeedback(h, decisions[i].Arm, rng.NextGaussian())).ToArray();
            router.Update(feedback);
            seen.AddRange(feedback);
        }
        for (int n = 0; n < Arms; n++)
        {
            var mine = seen.Where(f => f.Arm == n).Select(f => (f.Context, f.Reward)).ToList();
            Assert.NotEmpty(mine);
            var (mu, sigma) = ClosedForm(D, options.PriorVariance, options.NoiseVariance, options.PriorMean![n], mine);
            var post = router.Posterior(n);
            Assert.True(RelativeError(post.Mean.ToArray(), mu) < 1e-9, $"arm {n} mean: {RelativeError(post.Mean.ToArray(), mu)}");
            Assert.True(RelativeError(post.Covariance(), Flat(sigma)) < 1e-9, $"arm {n} covariance");
            Assert.Equal(mine.Count, post.Observations);
        }
    }

    [Fact]
    public void OneBatchUpdateEqualsTheSamePairsOneByOne()
    {
        var rng = new SeededRandom(2);
        var options = Options(rng);
        var batched = new ThompsonSamplingRouter(Arms, D, options);
        var single = new ThompsonSamplingRouter(Arms, D, options);
        var feedback = Feedback(rng, Contexts(rng, 23, D), Arms); // 23: not a multiple of the 4-wide fused update
        batched.Update(feedback);
        foreach (var f in feedback) single.Update([f]);
        for (int n = 0; n < Arms; n++)
        {
            Assert.True(batched.Posterior(n).PrecisionFactor.SequenceEqual(single.Posterior(n).PrecisionFactor), $"arm {n} factor");
            Assert.True(batched.Posterior(n).Mean.SequenceEqual(single.Posterior(n).Mean), $"arm {n} mean");
        }
    }

    [Fact]
    public void StaysPositiveDefiniteAndExactOverFiveThousandUpdates()
    {
        const int d = 6;
        var rng = new SeededRandom(3);
        var router = new ThompsonSamplingRouter(1, d, new ThompsonSamplingOptions { PriorVariance = 0.02, Seed = 1 });
        var all = new List<(double[], double)>();
        var basis = Contexts(rng, 2, d);
        for (int t = 0; t < 100; t++)
        {
            // Nearly collinear contexts of very different sizes: the hard case for a covariance-form update.
            var batch = Enumerable.Range(0, 52).Select(_ =>
            {
                double a = rng.NextGaussian(), scale = Math.Pow(10, rng.NextDouble() * 4 - 2);
                return Enumerable.Range(0, d).Select(k => scale * (basis[0][k] + a * basis[1][k] + 1e-4 * rng.NextGaussian())).ToArray();
            }).ToArray();
            var feedback = batch.Select(h => new ArmFeedback(h, 0, rng.NextDouble())).ToArray();
            router.Update(feedback);
            all.AddRange(feedback.Select(f => (f.Context, f.Reward)));
        }
        Assert.Equal(5200, router.Posterior(0).Observations);
        var r = router.Posterior(0).PrecisionFactor;
        for (int k = 0; k < d; k++) Assert.True(r[k * d + k] > 0);
        var (mu, sigma) = ClosedForm(d, 0.02, 1.0, null, all);
        var cov = router.Posterior(0).Covariance();
        Assert.True(RelativeError(cov, Flat(sigma)) < 1e-7, $"covariance error {RelativeError(cov, Flat(sigma))}");
        Assert.True(RelativeError(router.Posterior(0).Mean.ToArray(), mu) < 1e-7);
        // The covariance is symmetric and its quadratic forms are positive.
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) Assert.Equal(cov[i * d + j], cov[j * d + i]);
        foreach (var h in Contexts(rng, 50, d))
        {
            double q = 0;
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) q += h[i] * cov[i * d + j] * h[j];
            Assert.True(q > 0);
        }
    }

    [Fact]
    public void WithoutUpdatesThePosteriorIsThePrior()
    {
        var rng = new SeededRandom(4);
        var options = Options(rng);
        var router = new ThompsonSamplingRouter(Arms, D, options);
        for (int n = 0; n < Arms; n++)
        {
            Assert.Equal(options.PriorMean![n], router.Posterior(n).Mean.ToArray());
            var cov = router.Posterior(n).Covariance();
            for (int i = 0; i < D; i++)
                for (int j = 0; j < D; j++) Assert.Equal(i == j ? 0.5 : 0.0, cov[i * D + j], 12);
        }
    }

    [Fact]
    public void ForgettingPullsThePrecisionTowardThePriorBeforeEachBatch()
    {
        var rng = new SeededRandom(5);
        var options = Options(rng) with { Forgetting = 0.9 };
        var router = new ThompsonSamplingRouter(Arms, D, options);
        var first = Feedback(rng, Contexts(rng, 20, D), Arms);
        var second = Feedback(rng, Contexts(rng, 20, D), Arms);
        router.Update(first);
        router.Update(second);
        for (int n = 0; n < Arms; n++)
        {
            // Expected: A2 = g (g A0 + (1-g) A0 + S1) + (1-g) A0 + S2 = A0 + g S1 + S2 (A0 = prior precision), same for b.
            var a = new double[D, D];
            var b = new double[D];
            double g = 0.9;
            for (int i = 0; i < D; i++)
            {
                a[i, i] = 1 / options.PriorVariance;
                b[i] = options.PriorMean![n][i] / options.PriorVariance;
            }
            foreach (var (batch, weight) in new[] { (first, g), (second, 1.0) })
                foreach (var f in batch.Where(f => f.Arm == n))
                    for (int i = 0; i < D; i++)
                    {
                        b[i] += weight * f.Reward * f.Context[i] / options.NoiseVariance;
                        for (int j = 0; j < D; j++) a[i, j] += weight * f.Context[i] * f.Context[j] / options.NoiseVariance;
                    }
            var precision = router.Posterior(n).Precision();
            Assert.True(RelativeError(precision, Flat(a)) < 1e-9, $"arm {n} precision");
            var sigma = Inverse(a);
            var mu = Enumerable.Range(0, D).Select(i => Enumerable.Range(0, D).Sum(j => sigma[i, j] * b[j])).ToArray();
            Assert.True(RelativeError(router.Posterior(n).Mean.ToArray(), mu) < 1e-9, $"arm {n} mean");
        }
    }

    [Fact]
    public void OfflinePriorTakesTheBtRowsAndThePapersVariances()
    {
        var rng = new SeededRandom(6);
        int enc = 2, fused = 3, pool = 2, feat = fused + 1;
        double[] R(int n) => Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray();
        var offline = new BayesianRouter.Offline.OfflineRouter(["rm-a", "rm-b"], "test-encoder", enc, 128, [],
            BayesianRouter.Offline.FusionActivation.Tanh, fused, R(fused * 2 * enc), R(fused), R(pool * feat), R(pool * feat));
        var options = ThompsonSamplingOptions.WithOfflinePrior(offline, seed: 3);
        Assert.Equal(0.02, options.PriorVariance);
        Assert.Equal(1.0, options.NoiseVariance);
        var router = new ThompsonSamplingRouter(pool, feat, options);
        for (int n = 0; n < pool; n++) Assert.Equal(offline.BtRow(n), router.Posterior(n).Mean.ToArray());
    }
}
