using BayesianRouter.Evaluation;

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
    public void A_policy_that_never_matches_has_no_snips_and_a_zero_ips()
    {
        var est = OffPolicyEvaluation.Estimate([new LoggedChoice([1.0], 0, 1, 1), new LoggedChoice([1.0], 0, 1, 0)], OffPolicyEvaluation.Single("b", 1));
        Assert.Equal(0, est.Ips);
        Assert.Null(est.Snips);
        Assert.Equal(0, est.Matches);
    }
}
