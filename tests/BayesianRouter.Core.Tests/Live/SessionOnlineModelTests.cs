using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Live;

/// <summary>
/// The session routes through whatever <see cref="IThompsonRouter"/> the setup builds (<see cref="BayesianRouterFactory"/>
/// on an artifact): the hierarchical model with its domain and prompt levels and the paper's linear model, with the
/// same durability (checkpoint + replayed log = a session that never stopped; the interned names included).
/// </summary>
public class SessionOnlineModelTests
{
    private static LabelOutcome Label(Decision d) => LabelOutcome.Labelled(d.Rm, d.Arm, Judgment.FromVerdict(Preference.A), []);

    /// <summary>The online model under the session's incumbent anchor (the default: <see cref="AnchoredThompsonRouter"/>).</summary>
    private static HierarchicalThompsonRouter Model(RoutingSession s) => (HierarchicalThompsonRouter)((AnchoredThompsonRouter)s.Router).Inner;

    [Theory]
    [InlineData(OnlineModel.Hierarchical)]
    [InlineData(OnlineModel.Paper)]
    public void The_session_routes_with_the_factorys_router(OnlineModel model)
    {
        var setup = LiveOfflineData.Setup(model);
        var s = RoutingSession.Open(setup);
        // the default: the model anchored on the offline router's pick (do no harm)
        var anchored = Assert.IsType<AnchoredThompsonRouter>(s.Router);
        Assert.IsType(model == OnlineModel.Paper ? typeof(ThompsonSamplingRouter) : typeof(HierarchicalThompsonRouter), anchored.Inner);
        Assert.Equal(AnchoredThompsonRouter.DefaultConfidence, anchored.Confidence);
        var batch = s.Route(LiveOfflineData.Pairs(setup, 30, 1));
        Assert.All(batch, d => Assert.Equal(6, d.Features.Length)); // the log keeps h, never the router's ids
        Assert.All(batch, d => Assert.NotNull(d.Group));
        Assert.Equal(model == OnlineModel.Paper ? setup.Features.Id : setup.Features.Id + "+" + setup.Factory!.Describe(), setup.Id);
    }

    [Fact]
    public async Task Routing_interns_nothing_learning_interns_in_feedback_order()
    {
        var setup = LiveOfflineData.Setup(OnlineModel.Hierarchical);
        var s = RoutingSession.Open(setup);
        var router = Model(s);
        var batch = s.Route(LiveOfflineData.Pairs(setup, 12, 2));
        Assert.Empty(router.PromptNames);
        Assert.Empty(router.DomainNames);
        await s.RecordAsync(batch, batch.Select(Label).ToArray());
        var reversed = batch.Reverse().ToArray();
        await s.LearnAsync(reversed.Select(d => FeedbackItem.OfReward(d.DecisionId, 1)).ToArray());
        Assert.Equal(reversed.Select(d => d.Group!).Distinct(), router.PromptNames);
        Assert.Equal(reversed.Select(d => d.Domain!).Distinct(), router.DomainNames);
    }

    [Fact]
    public async Task The_hierarchical_session_learns_per_prompt()
    {
        // Feedback says rm2 is right on every pair of group "hard" and wrong elsewhere; rm0 the other way round.
        var setup = LiveOfflineData.Setup(OnlineModel.Hierarchical);
        var s = RoutingSession.Open(setup);
        for (int t = 0; t < 30; t++)
        {
            var pairs = LiveOfflineData.Pairs(setup, 16, 100 + t, $"t{t}-").Select((p, i) => p with { Group = i % 2 == 0 ? "hard" : $"easy{t}-{i}" }).ToArray();
            var batch = s.Route(pairs);
            await s.RecordAsync(batch, batch.Select(Label).ToArray());
            await s.LearnAsync(batch.Select((d, i) => FeedbackItem.OfReward(d.DecisionId,
                (d.Group == "hard") == (d.Arm == 2) || (d.Group != "hard" && d.Arm == 0) ? 1.0 : 0.0)).ToArray());
        }
        var probe = LiveOfflineData.Pairs(setup, 200, 999, "probe");
        var hard = s.Route(probe.Select(p => p with { Group = "hard" }).ToArray());
        var fresh = s.Route(probe.Select((p, i) => p with { Group = $"new{i}" }).ToArray());
        Assert.True(hard.Count(d => d.Arm == 2) > 180, $"{hard.Count(d => d.Arm == 2)} of 200 pairs of the hard prompt went to rm2");
        Assert.True(fresh.Count(d => d.Arm == 2) < hard.Count(d => d.Arm == 2) / 2, "a new prompt is not routed as the learned one");
    }

    [Fact]
    public void Hierarchical_choice_probabilities_match_the_frequency_of_the_choice()
    {
        // plain Thompson sampling (no anchor), with a draw at every level, so that several arms get chosen at the prior
        var setup = LiveOfflineData.Setup(OnlineModel.Hierarchical, options: new BayesianRouterOptions { PromptExploration = 1, IncumbentConfidence = 0 });
        var s = RoutingSession.Open(setup, options: new RoutingSessionOptions { MonteCarloDraws = 4000 });
        var one = LiveOfflineData.Pairs(setup, 1, 5)[0];
        var batch = s.Route(Enumerable.Repeat(one, 4000).ToArray());
        int chosenArms = 0;
        for (int arm = 0; arm < 3; arm++)
        {
            var chosen = batch.Where(d => d.Arm == arm).ToArray();
            if (chosen.Length == 0) continue;
            chosenArms++;
            double share = chosen.Length / 4000.0, reported = chosen.Average(d => d.Probability);
            Assert.InRange(reported, share - 0.03, share + 0.03);
        }
        Assert.True(chosenArms > 1, "the prior leaves no doubt: the test needs a context where several arms get chosen");
    }

    [Theory]
    [InlineData(OnlineModel.Hierarchical)]
    [InlineData(OnlineModel.Paper)]
    public async Task Checkpoint_plus_replayed_log_equals_a_session_that_never_stopped(OnlineModel model)
    {
        using var dir = new TempDir();
        var setup = LiveOfflineData.Setup(model, seed: 9);
        var store = new MemoryDecisionStore("inst");
        var uninterrupted = RoutingSession.Open(setup, new MemoryDecisionStore("inst"));
        var checkpoint = Path.Combine(dir.Path, "state.bin");
        var rng = new Random(1);
        RoutingSession live = RoutingSession.Open(setup, store);
        Decision[]? held = null, heldTwin = null;
        for (int step = 0; step < 7; step++)
        {
            if (step == 2) await live.SaveCheckpointAsync(checkpoint);
            if (step == 5) live = RoutingSession.Open(setup, store, checkpointPath: checkpoint); // "crash": checkpoint + log
            // New prompts every step, some prompts met again; feedback of one step is held back and sent a step later,
            // so names are met by routing long before they are learned about (and interned).
            var pairs = LiveOfflineData.Pairs(setup, 20, step, $"s{step}-", groups: 8).Select((p, i) => i % 3 == 0 ? p with { Group = $"new{step}-{i}" } : p).ToArray();
            var a = live.Route(pairs);
            await live.RecordAsync(a, a.Select(Label).ToArray());
            var b = uninterrupted.Route(pairs);
            await uninterrupted.RecordAsync(b, b.Select(Label).ToArray());
            Assert.Equal(b.Select(d => (d.DecisionId, d.Arm, d.Probability)), a.Select(d => (d.DecisionId, d.Arm, d.Probability)));
            if (held != null)
            {
                var heldLosses = held.Select(_ => rng.NextDouble()).ToArray();
                await live.LearnAsync(held.Select((d, i) => FeedbackItem.OfLoss(d.DecisionId, heldLosses[i])).ToArray());
                await uninterrupted.LearnAsync(heldTwin!.Select((d, i) => FeedbackItem.OfLoss(d.DecisionId, heldLosses[i])).ToArray());
            }
            // Half of this step's feedback now, the other half (held) with the next step.
            var losses = a.Select(_ => rng.NextDouble()).ToArray();
            await live.LearnAsync(a.Where((_, i) => i % 2 == 0).Select((d, i) => FeedbackItem.OfLoss(d.DecisionId, losses[i])).ToArray());
            await uninterrupted.LearnAsync(b.Where((_, i) => i % 2 == 0).Select((d, i) => FeedbackItem.OfLoss(d.DecisionId, losses[i])).ToArray());
            held = a.Where((_, i) => i % 2 == 1).ToArray();
            heldTwin = b.Where((_, i) => i % 2 == 1).ToArray();
        }
        Assert.Equal(uninterrupted.LearnedStateDigest(), live.LearnedStateDigest());
        Assert.Equal(RoutingSession.Open(setup, store).LearnedStateDigest(), live.LearnedStateDigest()); // the log alone
        Assert.NotEqual(RoutingSession.Open(setup).LearnedStateDigest(), live.LearnedStateDigest());
        if (model == OnlineModel.Hierarchical)
        {
            var names = Model(live).PromptNames;
            Assert.Equal(Model(uninterrupted).PromptNames, names);
            Assert.True(names.Count > 8, "new prompts were learned about");
            // the reward units were refitted from the shaped losses, and the restarted session has the same map
            var map = Model(live).RewardMap;
            Assert.NotEqual(1.0, map.B);
            Assert.Equal(Model(uninterrupted).RewardMap, map);
        }
        // After the restart both route the same new pairs the same way.
        var next = LiveOfflineData.Pairs(setup, 40, 77, "next");
        Assert.Equal(uninterrupted.Route(next).Select(d => (d.Arm, d.Probability)), live.Route(next).Select(d => (d.Arm, d.Probability)));
    }

    [Fact]
    public async Task The_anchored_session_starts_at_the_offline_routers_pick_and_logs_its_choice_probabilities()
    {
        var setup = LiveOfflineData.Setup(OnlineModel.Hierarchical);
        var offline = setup.Offline!;
        var s = RoutingSession.Open(setup, options: new RoutingSessionOptions { MonteCarloDraws = 2000 });
        var probe = LiveOfflineData.Pairs(setup, 60, 3, "probe");
        var first = s.Route(probe);
        Assert.All(first.Zip(probe), x => Assert.Equal(offline.Choose(x.Second.Features), x.First.Arm));   // do no harm at the start
        Assert.All(first, d => Assert.True(d.Probability > 0.99, $"probability {d.Probability}"));        // a certain choice, logged as one

        // in domain x only rm0 is right; elsewhere each RM earns what the (calibrated) offline prediction says it does
        double Predicted(double[] h, int arm) => setup.Factory!.Calibration.Probabilities(offline.BtScores(h))[arm];
        for (int t = 0; t < 25; t++)
        {
            var pairs = LiveOfflineData.Pairs(setup, 24, 200 + t, $"t{t}-");
            var batch = s.Route(pairs);
            await s.RecordAsync(batch, batch.Select(Label).ToArray());
            await s.LearnAsync(batch.Select((d, i) => FeedbackItem.OfReward(d.DecisionId,
                pairs[i].Domain == "x" ? (d.Arm == 0 ? 1.0 : 0.0) : Predicted(pairs[i].Features, d.Arm))).ToArray());
        }
        var one = probe.First(p => p.Domain == "x" && offline.Choose(p.Features) != 0);
        var routed = s.Route(Enumerable.Range(0, 3000).Select(i => one with { PairId = $"x{i}" }).ToArray());
        Assert.True(routed.Count(d => d.Arm == 0) > 1500, $"{routed.Count(d => d.Arm == 0)} of 3000 went to rm0, the RM right in domain x");
        foreach (var arm in routed.Select(d => d.Arm).Distinct())
        {
            var chosen = routed.Where(d => d.Arm == arm).ToArray();
            double share = chosen.Length / 3000.0, reported = chosen.Average(d => d.Probability);
            Assert.InRange(reported, share - 0.03, share + 0.03);
        }
        // in the other domains the offline router's pick stays
        var y = probe.Where(p => p.Domain == "y").ToArray();
        Assert.All(s.Route(y).Zip(y), x => Assert.Equal(offline.Choose(x.Second.Features), x.First.Arm));
    }

    [Fact]
    public async Task A_state_made_with_one_online_model_is_refused_by_the_other()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "state.bin");
        await RoutingSession.Open(LiveOfflineData.Setup(OnlineModel.Paper)).SaveCheckpointAsync(path);
        var e = Assert.Throws<InvalidDataException>(() => RoutingSession.Open(LiveOfflineData.Setup(OnlineModel.Hierarchical), checkpointPath: path));
        Assert.Contains("hierarchical", e.Message);
        var store = new MemoryDecisionStore();
        RoutingSession.Open(LiveOfflineData.Setup(OnlineModel.Hierarchical), store);
        Assert.Throws<InvalidDataException>(() => RoutingSession.Open(LiveOfflineData.Setup(OnlineModel.Paper), store));
    }
}
