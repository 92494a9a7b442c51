using BayesianRouter.Data;
using BayesianRouter.Simulation;

namespace BayesianRouter.Experiments.Tests.Simulation;

/// <summary><c>--feedback rank:P</c>: the reward endpoints' audit in the simulation.</summary>
public class RankAgreementFeedbackTests
{
    private static readonly string[] Pool = ["good", "math", "coin", "never"];

    [Fact]
    public void Whole_groups_are_audited_by_another_RM_and_the_reward_is_the_concordance_with_it()
    {
        var pairs = SimulationData.Pairs(80, 3);
        var f = FeedbackModel.Parse("rank:0.4");
        Assert.Equal(new FeedbackModel.RankAgreement(0.4), f);
        Assert.Equal("rank:0.4", f.ToString());
        var audited = new HashSet<string>();
        foreach (var p in pairs)
        {
            for (int arm = 0; arm < Pool.Length; arm++)
            {
                var r = f.Reward(p, Pool, arm, new Random(arm), 7, out var extra);
                if (r is null)
                {
                    Assert.Empty(extra);
                    continue;
                }
                audited.Add(p.Group);
                int auditor = Assert.Single(extra);
                Assert.NotEqual(arm, auditor); // never the RM itself
                var mine = p.Judgments[Pool[arm]].Prefers();
                var theirs = p.Judgments[Pool[auditor]].Prefers();
                Assert.Equal(mine == theirs ? 1.0 : 0.0, r.Value); // scores here never tie
            }
        }
        // the audit is decided per group: every pair of an audited group is audited, and about 40% of the groups are
        Assert.InRange(audited.Count, 20, 45);
        foreach (var g in pairs.GroupBy(p => p.Group))
        {
            var decided = g.Select(p => f.Reward(p, Pool, 0, new Random(1), 7, out _) is not null).Distinct().ToArray();
            Assert.Single(decided);
        }
        // another seed audits other groups
        var other = pairs.Where(p => f.Reward(p, Pool, 0, new Random(1), 8, out _) is not null).Select(p => p.Group).ToHashSet();
        Assert.NotEqual(pairs.Where(p => f.Reward(p, Pool, 0, new Random(1), 7, out _) is not null).Select(p => p.Group).ToHashSet(), other);
    }

    [Theory]
    [InlineData("rank:0")]
    [InlineData("rank:1.5")]
    [InlineData("rank:x")]
    public void A_share_outside_0_to_1_is_refused(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => FeedbackModel.Parse(text));
        Assert.Contains("rank:0.1", e.Message);
    }
}
