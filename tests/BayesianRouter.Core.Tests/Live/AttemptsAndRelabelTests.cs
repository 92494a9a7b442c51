using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.Live;

/// <summary>
/// Every request an RM was sent is charged to the budget (its retries, every fallback RM and its retries), and a pair
/// no RM could label is labelled again later under the same decision (<c>label --resume</c>).
/// </summary>
public class AttemptsAndRelabelTests
{
    private static readonly double[] Costs = [1, 2, 30];

    private static PairToLabel[] ToLabel(int count, int seed, string prefix) =>
        LiveTestData.Pairs(LiveTestData.Features(count, 8, seed), prefix)
            .Select(p => new PairToLabel(p.PairId, p.Features, new PairText($"prompt {p.PairId}", "a", "b"))).ToArray();

    [Fact]
    public async Task Every_request_of_every_rm_tried_is_charged()
    {
        var session = RoutingSession.Open(LiveTestData.Setup(arms: 3, seed: 4), options: new RoutingSessionOptions { Costs = Costs, MonteCarloDraws = 50 });
        // rm0 fails after three requests, rm1 labels after two, rm2 after one
        var pool = new IRewardModel[]
        {
            new FakeRm("rm0", _ => RmJudgment.Failed("http_5xx: HTTP 500 (3 attempts)").WithAttempts(3)),
            new FakeRm("rm1", _ => RmJudgment.Of(Judgment.FromVerdict(Preference.A)).WithAttempts(2)),
            new FakeRm("rm2", _ => RmJudgment.Of(Judgment.FromVerdict(Preference.B))),
        };
        var labelled = await session.LabelAsync(ToLabel(60, 1, "p"), new PoolLabeller(pool));
        double expected = 0, fallbacks = 0;
        foreach (var (d, l) in labelled)
        {
            double spent = l.FallbackFrom.Sum(f => Costs[int.Parse(f.Rm[2..])] * f.Attempts) + Costs[l.Arm!.Value] * l.Attempts;
            expected += spent;
            fallbacks += spent - Costs[d.Arm];
            Assert.All(l.FallbackFrom, f => Assert.Equal(3, f.Attempts));
            Assert.Equal(l.Rm == "rm1" ? 2 : 1, l.Attempts);
        }
        Assert.Contains(labelled, l => l.Label.FallbackFrom.Count > 0); // some pairs went to rm0 first
        var budget = session.Budget();
        Assert.Equal(expected, budget.Spend, 9);
        Assert.Equal(fallbacks, budget.FallbackSpend, 9); // retries and fallbacks: what routing did not charge
        Assert.True(budget.Spend > labelled.Sum(l => Costs[l.Decision.Arm]));
    }

    [Fact]
    public async Task A_pair_no_rm_could_label_is_labelled_again_under_the_same_decision()
    {
        var store = new MemoryDecisionStore("inst");
        var setup = LiveTestData.Setup(arms: 3, seed: 6);
        var options = new RoutingSessionOptions { Costs = Costs, MonteCarloDraws = 50 };
        var session = RoutingSession.Open(setup, store, options);
        bool down = true;
        var pool = Enumerable.Range(0, 3).Select(n => (IRewardModel)new FakeRm($"rm{n}",
            _ => down ? RmJudgment.Failed("connection: refused") : RmJudgment.Of(Judgment.FromVerdict(Preference.A)))).ToArray();
        var labeller = new PoolLabeller(pool);
        var first = await session.LabelAsync(ToLabel(10, 2, "p"), labeller);
        Assert.All(first, l => Assert.Null(l.Label.Arm));
        Assert.Equal(10, session.Statistics().Unlabelled);
        double spentBefore = session.Budget().Spend;
        Assert.Equal(10 * (1 + 2 + 30), spentBefore, 9); // every RM tried once per pair

        down = false;
        var again = await session.RelabelAsync(first.Select(l => (l.Decision, new PairText($"prompt {l.Decision.PairId}", "a", "b"))).ToArray(), labeller);
        Assert.All(again, l => Assert.Equal(l.Decision.Rm, l.Label.Rm)); // the decision's own RM first, as when it was routed
        Assert.Equal(first.Select(l => (l.Decision.DecisionId, l.Decision.Arm, l.Decision.Probability)), again.Select(l => (l.Decision.DecisionId, l.Decision.Arm, l.Decision.Probability)));
        var stats = session.Statistics();
        Assert.Equal(0, stats.Unlabelled);
        Assert.Equal(10, stats.Decisions); // no new decision
        Assert.Equal(10, stats.Rms.Sum(r => r.Labelled));
        Assert.Equal(spentBefore + again.Sum(l => Costs[l.Label.Arm!.Value]), session.Budget().Spend, 9);
        Assert.All(store.ReadDecisions(), e => Assert.NotNull(e.Label.Arm));

        var learned = await session.LearnAsync(again.Select(l => FeedbackItem.OfReward(l.Decision.DecisionId, 1)).ToArray());
        Assert.Equal(10, learned.Accepted);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => session.RelabelAsync([(again[0].Decision, new PairText("p", "a", "b"))], labeller));
        Assert.Contains("not an unlabelled decision", e.Message);

        // a restart reads the new labels and the spend from the log
        var restarted = RoutingSession.Open(setup, store, options);
        Assert.Equal(0, restarted.Statistics().Unlabelled);
        Assert.Equal(session.Budget().Spend, restarted.Budget().Spend, 9);
    }
}
