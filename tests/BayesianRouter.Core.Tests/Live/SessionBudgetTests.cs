using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.Rewards;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.Live;

/// <summary>
/// The live session under the pool's budget: the spending rule holds pair by pair, fallback calls count in the spend,
/// the spend and the price survive a restart, and without a budget nothing changes.
/// </summary>
public class SessionBudgetTests
{
    private static readonly double[] Costs = [1, 2, 30];

    private static LabelOutcome Label(Decision d) => LabelOutcome.Labelled(d.Rm, d.Arm, Judgment.FromVerdict(Preference.A), []);

    private static RoutingSessionOptions Options(double? budget, double exploration = 0) =>
        new() { Costs = Costs, Budget = budget, MonteCarloDraws = 100, Exploration = exploration };

    [Fact]
    public async Task Without_a_budget_the_decisions_are_unchanged_and_the_spend_is_counted()
    {
        var setup = LiveTestData.Setup(arms: 3, seed: 5);
        var plain = RoutingSession.Open(setup, options: new RoutingSessionOptions { MonteCarloDraws = 100, Exploration = 0.1 });
        var costed = RoutingSession.Open(setup, options: Options(budget: null, exploration: 0.1));
        double spend = 0;
        for (int b = 0; b < 5; b++)
        {
            var pairs = LiveTestData.Pairs(LiveTestData.Features(40, 8, b), $"b{b}-");
            var x = plain.Route(pairs);
            var y = costed.Route(pairs);
            Assert.Equal(x.Select(d => (d.Arm, d.Probability, string.Join(",", d.FallbackOrder))), y.Select(d => (d.Arm, d.Probability, string.Join(",", d.FallbackOrder))));
            spend += y.Sum(d => Costs[d.Arm]);
            foreach (var (s, batch) in new[] { (plain, x), (costed, y) })
            {
                await s.RecordAsync(batch, batch.Select(Label).ToArray());
                await s.LearnAsync(batch.Select(d => FeedbackItem.OfReward(d.DecisionId, d.Arm == 2 ? 1 : 0)).ToArray());
            }
        }
        var status = costed.Budget();
        Assert.Null(status.Budget);
        Assert.Equal(0, status.Price);
        Assert.Equal(200, status.Pairs);
        Assert.Equal(spend, status.Spend, 9);
        Assert.Equal(spend / 200, status.MeanCost, 9);
    }

    [Fact]
    public async Task Every_pair_wanting_the_expensive_RM_never_takes_the_spend_above_the_budget()
    {
        var s = RoutingSession.Open(LiveTestData.Setup(arms: 3, seed: 8), options: Options(budget: 3, exploration: 0.05));
        double spend = 0;
        long t = 0;
        int expensive = 0;
        for (int b = 0; b < 30; b++)
        {
            var batch = s.Route(LiveTestData.Pairs(LiveTestData.Features(32, 8, 100 + b), $"b{b}-"));
            foreach (var d in batch)
            {
                spend += Costs[d.Arm];
                t++;
                if (d.Arm == 2) expensive++;
                Assert.True(spend <= 3 * t + 1e-9, $"pair {t}: spent {spend} > {3 * t}");
                Assert.InRange(d.Probability, 1e-9, 1.0);
                Assert.Equal(3, d.FallbackOrder.Distinct().Count());
            }
            await s.RecordAsync(batch, batch.Select(Label).ToArray());
            // the feedback says the expensive RM is always right and the others never are
            await s.LearnAsync(batch.Select(d => FeedbackItem.OfReward(d.DecisionId, d.Arm == 2 ? 1 : 0)).ToArray());
        }
        var status = s.Budget();
        Assert.Equal(3, status.Budget);
        Assert.Equal(spend, status.Spend, 9);
        Assert.True(status.MeanCost <= 3 + 1e-9);
        Assert.True(status.MeanCost > 2.5, $"the budget is spent where it pays ({status.MeanCost})");
        Assert.True(expensive > 0 && expensive < 960 / 10, $"the expensive RM takes what the budget affords ({expensive} of 960)");
        Assert.True(status.Price > 0);
    }

    [Fact]
    public async Task Fallback_calls_count_in_the_spend_and_a_restart_from_the_log_continues_the_same_spend_and_decisions()
    {
        // rm0 (cost 1) always fails: every pair routed to it falls back, and that second call costs what it costs
        var rms = new[]
        {
            new FakeRm("rm0", _ => RmJudgment.Failed("down")),
            FakeRm.Verdict("rm1", Preference.A),
            FakeRm.Verdict("rm2", Preference.B),
        };
        var setup = LiveTestData.Setup(arms: 3, seed: 4);
        var store = new MemoryDecisionStore("inst");
        var live = RoutingSession.Open(setup, store, Options(budget: 4));
        var uninterrupted = RoutingSession.Open(setup, new MemoryDecisionStore("inst"), Options(budget: 4));
        var labeller = new PoolLabeller(rms);
        double fallbackSpend = 0;
        for (int b = 0; b < 8; b++)
        {
            if (b == 5) live = RoutingSession.Open(setup, store, Options(budget: 4)); // restart: no checkpoint, the log only
            var pairs = LiveTestData.Features(24, 8, b).Select((h, i) => new PairToLabel($"b{b}-{i}", h, new PairText($"q{b}-{i}", "a", "b"))).ToArray();
            var a = await live.LabelAsync(pairs, labeller);
            var u = await uninterrupted.LabelAsync(pairs, labeller);
            Assert.Equal(u.Select(l => (l.Decision.Arm, l.Decision.Probability, l.Label.Rm)), a.Select(l => (l.Decision.Arm, l.Decision.Probability, l.Label.Rm)));
            foreach (var l in a.Where(l => l.Label.FallbackFrom.Count > 0))
                fallbackSpend += Costs[Array.IndexOf(setup.Pool.ToArray(), l.Label.Rm)];
            Assert.Equal(uninterrupted.Budget(), live.Budget());
        }
        var status = live.Budget();
        Assert.True(fallbackSpend > 0, "some pairs went to the failing RM first");
        Assert.Equal(fallbackSpend, status.FallbackSpend, 9);
        Assert.Equal(192, status.Pairs);
        Assert.True(status.Spend <= 4 * 192 + status.FallbackSpend + 1e-9);
    }

    [Fact]
    public async Task A_checkpoint_and_the_log_after_it_restore_the_spend_and_the_price()
    {
        using var dir = new TempDir();
        var setup = LiveTestData.Setup(arms: 3, seed: 6);
        var store = new MemoryDecisionStore("inst");
        var checkpoint = Path.Combine(dir.Path, "state.bin");
        var first = RoutingSession.Open(setup, store, Options(budget: 2.5));
        var uninterrupted = RoutingSession.Open(setup, new MemoryDecisionStore("inst"), Options(budget: 2.5));
        RoutingSession live = first;
        for (int b = 0; b < 6; b++)
        {
            if (b == 2) await live.SaveCheckpointAsync(checkpoint);
            if (b == 4) live = RoutingSession.Open(setup, store, Options(budget: 2.5), checkpoint);
            var features = LiveTestData.Features(16, 8, 50 + b);
            foreach (var s in new[] { live, uninterrupted })
            {
                var batch = s.Route(LiveTestData.Pairs(features, $"b{b}-"));
                await s.RecordAsync(batch, batch.Select(Label).ToArray());
                await s.LearnAsync(batch.Select(d => FeedbackItem.OfReward(d.DecisionId, d.Arm == 2 ? 1 : 0)).ToArray());
            }
            Assert.Equal(uninterrupted.Budget(), live.Budget());
        }
        Assert.True(live.Budget().Price > 0);
        // the pool file's budget changed between runs: what was spent stays spent and counts against the new budget
        var tighter = RoutingSession.Open(setup, store, Options(budget: 1.5), checkpoint);
        Assert.Equal(live.Budget().Spend, tighter.Budget().Spend);
        Assert.Equal(1.5, tighter.Budget().Budget);
    }

    [Fact]
    public void A_budget_below_the_cheapest_RM_or_costs_for_another_pool_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => RoutingSession.Open(LiveTestData.Setup(arms: 3), options: Options(budget: 0.5)));
        Assert.Contains("below the cheapest RM's cost", e.Message);
        Assert.Throws<ArgumentException>(() => RoutingSession.Open(LiveTestData.Setup(arms: 2), options: Options(budget: 5)));
    }
}
