using BayesianRouter.Evaluation;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Live;

public class OffPolicyEvaluationTests
{
    [Fact]
    public void Ips_and_snips_recover_each_arms_mean_from_a_known_logging_policy()
    {
        // Logging policy: arm 0 with 0.7, arm 1 with 0.3; rewards Bernoulli(0.8) for arm 0, Bernoulli(0.4) for arm 1.
        var rng = new Random(5);
        var log = new List<LoggedChoice>();
        for (int i = 0; i < 20000; i++)
        {
            int arm = rng.NextDouble() < 0.7 ? 0 : 1;
            double reward = rng.NextDouble() < (arm == 0 ? 0.8 : 0.4) ? 1 : 0;
            log.Add(new LoggedChoice([1.0], arm, arm == 0 ? 0.7 : 0.3, reward));
        }
        // 99.9 % intervals (z = 3.29): a statistical check that fails by chance once in a thousand seeds, not one in twenty.
        const double z = 3.29;
        var single0 = OffPolicyEvaluation.Estimate(log, OffPolicyEvaluation.Single("a0", 0), z);
        var single1 = OffPolicyEvaluation.Estimate(log, OffPolicyEvaluation.Single("a1", 1), z);
        var uniform = OffPolicyEvaluation.Estimate(log, OffPolicyEvaluation.Uniform(2), z);
        Assert.InRange(0.8, single0.IpsLow, single0.IpsHigh);
        Assert.InRange(0.4, single1.IpsLow, single1.IpsHigh);
        Assert.InRange(0.6, uniform.IpsLow, uniform.IpsHigh);
        Assert.InRange(0.8, single0.SnipsLow!.Value, single0.SnipsHigh!.Value);
        Assert.InRange(0.4, single1.SnipsLow!.Value, single1.SnipsHigh!.Value);
        Assert.InRange(single0.IpsHigh - single0.IpsLow, 0.005, 0.06);
        var narrow = OffPolicyEvaluation.Estimate(log, OffPolicyEvaluation.Single("a0", 0));
        Assert.Equal((single0.IpsHigh - single0.IpsLow) * OffPolicyEvaluation.Z95 / z, narrow.IpsHigh - narrow.IpsLow, 9);
        Assert.Equal(single1.Matches, log.Count(c => c.Arm == 1));
        Assert.Equal(1 / 0.3, single1.MaxWeight, 9);
    }

    [Fact]
    public void A_probability_of_zero_is_refused_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => OffPolicyEvaluation.Estimate([new LoggedChoice([1.0], 0, 0, 1)], OffPolicyEvaluation.Uniform(2)));
        Assert.Contains("probability 0", e.Message);
    }

    [Fact]
    public void A_policy_that_never_matches_has_no_data_not_an_estimate_of_zero()
    {
        var est = OffPolicyEvaluation.Estimate([new LoggedChoice([1.0], 0, 1, 1), new LoggedChoice([1.0], 0, 1, 0)], OffPolicyEvaluation.Single("b", 1));
        Assert.False(est.HasData);
        Assert.True(double.IsNaN(est.Ips) && double.IsNaN(est.IpsLow) && double.IsNaN(est.IpsHigh));
        Assert.Null(est.Snips);
        Assert.Equal(0, est.Matches);
        Assert.Equal(2, est.Samples);
    }

    [Fact]
    public void The_ips_estimate_lies_inside_its_own_interval_even_where_it_would_exceed_one()
    {
        // One rare arm (p = 0.01) that always pays: unclipped IPS = 3 x 100 / 100 = 3 on this log, outside [0, 1].
        var log = Enumerable.Range(0, 100).Select(i => i < 3 ? new LoggedChoice([1.0], 1, 0.01, 1) : new LoggedChoice([1.0], 0, 0.99, 0)).ToList();
        var est = OffPolicyEvaluation.Estimate(log, OffPolicyEvaluation.Single("rare", 1));
        Assert.True(est.HasData);
        Assert.InRange(est.Ips, est.IpsLow, est.IpsHigh);
        Assert.InRange(est.Ips, 0, 1);
        Assert.Equal(1, est.Ips);
    }

    [Fact]
    public void Exact_choice_probabilities_make_ips_unbiased_where_the_monte_carlo_estimate_is_not()
    {
        // A Thompson decision over three arms whose third arm wins about 3 in 10,000 draws. A policy that always takes
        // arm 2 earns 1 (every reward is 1). IPS over 200,000 logged decisions with the exact probability recovers 1;
        // with the (hits + 1) / (M + 1) estimate of M = 1,000 draws, which puts arm 2 near 1/1000 instead of 3/10000,
        // the weights are 3 times too small and IPS lands near 0.3: the bias docs/ope.md warns of.
        double[] means = [0, -0.2, -2.4], sds = [1, 1, 0.3];
        double p2 = NormalArgmax.Probability(means, sds, 2);
        Assert.Equal(0.000312475331927536, p2, 13); // mpmath.quad of the same integral at 15 digits
        var rng = new SeededRandom(11, 0);
        var monteCarlo = new SeededRandom(11, 1);
        var moments = ScoreMoments.Of([means], [sds]);
        var exact = new List<LoggedChoice>();
        var estimated = new List<LoggedChoice>();
        const int n = 200_000, draws = 1000;
        var x = new double[3];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < 3; k++) x[k] = means[k] + sds[k] * rng.NextGaussian();
            int arm = Array.IndexOf(x, x.Max());
            if (arm != 2) continue; // decisions the target cannot match add weight 0 to both estimates: skip the work
            int hits = ThompsonChoice.MonteCarloHits(moments, 0, 2, ThompsonChoice.Normals(monteCarlo, draws, 3));
            exact.Add(new LoggedChoice([1.0], 2, p2, 1));
            estimated.Add(new LoggedChoice([1.0], 2, (hits + 1.0) / (draws + 1.0), 1));
        }
        double IpsOver(List<LoggedChoice> log) => log.Sum(c => 1 / c.Probability) / n;
        Assert.InRange(exact.Count, 30, 100);
        Assert.InRange(IpsOver(exact), 0.6, 1.4);      // unbiased: 1 within its noise (about 60 matching decisions)
        Assert.InRange(IpsOver(estimated), 0.05, 0.45); // biased towards 0 for the rare arm
    }
}
