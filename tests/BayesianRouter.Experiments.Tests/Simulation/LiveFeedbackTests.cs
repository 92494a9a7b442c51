using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Simulation;

namespace BayesianRouter.Experiments.Tests.Simulation;

/// <summary>Simulated DPO losses (<c>--feedback dpo:NOISE</c>) and the live session replayed in the simulation (<c>--live-session</c>).</summary>
public class LiveFeedbackTests
{
    private static readonly string[] Pool = ["good", "math", "coin", "never"];

    [Fact]
    public void Dpo_losses_are_lower_for_right_labels_and_the_same_for_every_method()
    {
        var dpo = (FeedbackModel.Dpo)FeedbackModel.Parse("dpo:1");
        Assert.Equal("dpo:1", dpo.ToString());
        Assert.True(dpo.IsLoss);
        var pairs = SimulationData.Pairs(200, 3);
        var right = pairs.Select(p => dpo.Loss(p, 1, right: true)).ToArray();
        var wrong = pairs.Select(p => dpo.Loss(p, 1, right: false)).ToArray();
        Assert.True(right.Average() < wrong.Average() - 0.5, $"{right.Average()} vs {wrong.Average()}");
        // P(m > 0) = Phi(1) = 0.84: about that share of pairs have the lower loss when their label is right.
        Assert.InRange(right.Zip(wrong).Count(x => x.First < x.Second) / (double)right.Length, 0.78, 0.9);
        Assert.Equal(right, pairs.Select(p => dpo.Loss(p, 1, right: true)).ToArray()); // a function of seed and pair
        Assert.NotEqual(right, pairs.Select(p => dpo.Loss(p, 2, right: true)).ToArray());
        var clean = (FeedbackModel.Dpo)FeedbackModel.Parse("dpo:0");
        Assert.All(pairs, p => Assert.True(clean.Loss(p, 1, true) < clean.Loss(p, 1, false)));
        foreach (var bad in new[] { "dpo:-1", "dpo:x", "dpo:NaN" })
            Assert.Contains("dpo", Assert.Throws<ArgumentException>(() => FeedbackModel.Parse(bad)).Message);
    }

    [Fact]
    public void The_live_session_replays_the_stream_and_learns_from_shaped_losses()
    {
        var pairs = SimulationData.Pairs(60, 11);
        var sessions = new List<LiveSessionMethod>();
        var options = new SimulationOptions
        {
            Pool = Pool, Seeds = [1], BatchSize = 16, LiveSession = true, Feedback = FeedbackModel.Parse("dpo:0.5"),
            Offline = new OfflineTrainingOptions { Dimension = 4 },
        };
        var result = new SimulationRunner(new HashEmbedder(), new BiasOnlyTrainer(), null, ctx =>
        {
            var methods = SimulationMethods.Create(ctx);
            lock (sessions) sessions.AddRange(methods.OfType<LiveSessionMethod>());
            return methods;
        }).Run(pairs, null, options);
        Assert.Equal(["live:hierarchical", "live:paper"], sessions.Select(s => s.Name));
        int streamed = result.PairsOnlinePerSeed[0];
        double random = result.Method("random").Accuracy.Mean;
        foreach (var s in sessions)
        {
            var stats = s.Session.Statistics();
            Assert.Equal(streamed, stats.Decisions);
            Assert.Equal(streamed, stats.Feedback); // every pair's loss was learned from, shaped by the session
            var method = result.Methods.Single(m => m.Name == s.Name);
            // the simulation's record of the live method is the session's own log: the same RM chosen as often
            foreach (var rm in stats.Rms) Assert.Equal(rm.Chosen / (double)streamed, method.Share[rm.Rm], 12);
            // the shaped losses carry the signal: the RM right on 80% of pairs earns more than one never right
            var good = stats.Rms.Single(r => r.Rm == "good");
            Assert.True(good.Feedback > 0 && good.MeanReward > 0.5, $"good: {good.Feedback} items, mean reward {good.MeanReward}");
            if (stats.Rms.Single(r => r.Rm == "never") is { Feedback: > 0 } never) Assert.True(never.MeanReward < good.MeanReward);
            // it learned (its state is not the prior's) and labels far better than routing at random
            Assert.NotEqual(RoutingSession.Open(s.Session.Setup).LearnedStateDigest(), s.Session.LearnedStateDigest());
            Assert.True(method.Accuracy.Mean > random + 0.1, $"{s.Name} {method.Accuracy.Mean:F3} vs random {random:F3}");
        }
        // Without the option the live methods are not run.
        var plain = new SimulationRunner(new HashEmbedder(), new BiasOnlyTrainer()).Run(pairs, null, options with { LiveSession = false });
        Assert.DoesNotContain(plain.Methods, m => m.Name.StartsWith("live:", StringComparison.Ordinal));
    }
}
