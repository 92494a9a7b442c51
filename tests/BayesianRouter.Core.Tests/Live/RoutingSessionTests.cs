using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.Rewards;
using BayesianRouter.RewardModels;
using BayesianRouter.Routing;

namespace BayesianRouter.Core.Tests.Live;

public class RoutingSessionTests
{
    private static LabelOutcome Label(Decision d, Preference p = Preference.A) =>
        LabelOutcome.Labelled(d.Rm, d.Arm, Judgment.FromVerdict(p), []);

    private static async Task<RoutedBatch> RouteAndRecord(RoutingSession s, double[][] features, string prefix = "p")
    {
        var batch = s.Route(LiveTestData.Pairs(features, prefix));
        await s.RecordAsync(batch, batch.Select(d => Label(d)).ToArray());
        return batch;
    }

    [Fact]
    public void Decisions_carry_a_positive_probability_a_full_fallback_order_and_the_features_hash()
    {
        var s = RoutingSession.Open(LiveTestData.Setup());
        var features = LiveTestData.Features(50, 8, 1);
        var batch = s.Route(LiveTestData.Pairs(features));
        Assert.Equal(50, batch.Count);
        Assert.Equal(50, batch.Select(d => d.DecisionId).Distinct().Count());
        for (int i = 0; i < batch.Count; i++)
        {
            var d = batch[i];
            Assert.Equal($"p{i}", d.PairId);
            Assert.True(d.Probability > 0 && d.Probability <= 1, $"{d.Probability}");
            Assert.Equal(d.Arm, d.FallbackOrder[0]);
            Assert.Equal([0, 1, 2], d.FallbackOrder.Order());
            Assert.Equal(s.Pool[d.Arm], d.Rm);
            Assert.Equal(Decision.HashFeatures(features[i]), d.FeaturesHash);
            Assert.StartsWith(s.InstanceId + "-", d.DecisionId);
        }
        Assert.NotEqual(Decision.HashFeatures(features[0]), Decision.HashFeatures(features[1]));
    }

    [Fact]
    public void Same_seed_same_decisions_and_probabilities()
    {
        var features = LiveTestData.Features(40, 8, 2);
        var a = RoutingSession.Open(LiveTestData.Setup(seed: 3)).Route(LiveTestData.Pairs(features));
        var b = RoutingSession.Open(LiveTestData.Setup(seed: 3)).Route(LiveTestData.Pairs(features));
        var c = RoutingSession.Open(LiveTestData.Setup(seed: 4)).Route(LiveTestData.Pairs(features));
        Assert.Equal(a.Select(d => (d.Arm, d.Probability)), b.Select(d => (d.Arm, d.Probability)));
        Assert.NotEqual(a.Select(d => d.Arm), c.Select(d => d.Arm));
    }

    [Theory]
    [InlineData(0, 0.0)]      // exact: within the binomial noise of 20,000 decisions (5 standard errors)
    [InlineData(4000, 0.03)]  // the Monte-Carlo estimate: its own error on top
    public void The_probability_matches_the_frequency_of_the_choice(int monteCarloDraws, double slack)
    {
        // Routing the same context many times: the share of each arm must match the probability the decisions report.
        const int n = 20_000;
        var s = RoutingSession.Open(LiveTestData.Setup(arms: 3, seed: 11), options: new RoutingSessionOptions { MonteCarloDraws = monteCarloDraws });
        var h = LiveTestData.Features(1, 8, 5)[0];
        var batch = s.Route(LiveTestData.Pairs(Enumerable.Repeat(h, n).ToArray()));
        for (int arm = 0; arm < 3; arm++)
        {
            var chosen = batch.Where(d => d.Arm == arm).ToArray();
            Assert.NotEmpty(chosen);
            double share = chosen.Length / (double)n, reported = chosen.Average(d => d.Probability);
            double tolerance = 5 * Math.Sqrt(reported * (1 - reported) / n) + slack;
            Assert.InRange(share, reported - tolerance, reported + tolerance);
            if (monteCarloDraws == 0) Assert.All(chosen, d => Assert.Equal(reported, d.Probability, 12)); // one context, one exact value
        }
    }

    [Fact]
    public async Task Exploration_floor_keeps_every_probability_at_least_epsilon_over_n()
    {
        // A posterior so sure of rm0 that pure Thompson sampling would almost never pick the others.
        var s = RoutingSession.Open(LiveTestData.Setup(arms: 4, dim: 3, seed: 1), options: new RoutingSessionOptions { Exploration = 0.2 });
        var h = new[] { 0.0, 0.0, 1.0 };
        for (int t = 0; t < 20; t++)
        {
            var batch = s.Route(LiveTestData.Pairs(Enumerable.Repeat(h, 32).ToArray(), $"t{t}-"));
            await s.RecordAsync(batch, batch.Select(d => Label(d)).ToArray());
            await s.LearnAsync(batch.Select(d => FeedbackItem.OfReward(d.DecisionId, d.Arm == 0 ? 1.0 : 0.0)).ToArray());
        }
        var final = s.Route(LiveTestData.Pairs(Enumerable.Repeat(h, 2000).ToArray(), "final"));
        Assert.All(final, d => Assert.True(d.Probability >= 0.2 / 4 - 1e-12, $"{d.Probability}"));
        var others = final.Where(d => d.Arm != 0).ToArray();
        Assert.InRange(others.Length / 2000.0, 0.11, 0.19); // 0.2 * 3/4 = 0.15 explored away from rm0
        Assert.All(others, d => Assert.InRange(d.Probability, 0.05, 0.06));
    }

    [Fact]
    public async Task Losses_are_batch_centred_and_quantile_rescaled_then_update_the_labelling_arm()
    {
        var setup = LiveTestData.Setup(arms: 3, seed: 5);
        var s = RoutingSession.Open(setup);
        var reference = (ThompsonSamplingRouter)setup.CreateRouter();
        var normaliser = new QuantileNormaliser();
        var rng = new Random(3);
        for (int step = 0; step < 4; step++)
        {
            var features = LiveTestData.Features(16, 8, 100 + step);
            var batch = s.Route(LiveTestData.Pairs(features, $"s{step}-"));
            // Every pair is labelled by a fallback: the arm after the chosen one; feedback must update that arm.
            var labels = batch.Select(d => LabelOutcome.Labelled(s.Pool[d.FallbackOrder[1]], d.FallbackOrder[1], Judgment.FromVerdict(Preference.B),
                [new FailedRm(d.Rm, "HTTP 500")])).ToArray();
            await s.RecordAsync(batch, labels);
            var losses = batch.Select(_ => rng.NextDouble() * 2).ToArray();
            var result = await s.LearnAsync(batch.Select((d, i) => FeedbackItem.OfLoss(d.DecisionId, losses[i])).ToArray());
            Assert.Equal(16, result.Accepted);
            var rewards = normaliser.ShapeLosses(losses);
            reference.Update(batch.Select((d, i) => new ArmFeedback(features[i], d.FallbackOrder[1], rewards[i])).ToArray());
        }
        for (int n = 0; n < 3; n++)
        {
            Assert.Equal(reference.Posterior(n).Mean.ToArray(), s.Posterior(n).Mean.ToArray());
            Assert.Equal(reference.Posterior(n).Observations, s.Posterior(n).Observations);
        }
        Assert.True(s.Posterior(0).Observations + s.Posterior(1).Observations + s.Posterior(2).Observations == 64);
        var stats = s.Statistics();
        Assert.Equal(64, stats.Decisions);
        Assert.Equal(64, stats.Feedback);
        Assert.Equal(64, stats.Rms.Sum(r => r.Labelled));
        Assert.Equal(64, stats.Rms.Sum(r => r.Chosen));
        Assert.All(stats.Rms.Where(r => r.Feedback > 0), r => Assert.InRange(r.MeanReward!.Value, 0, 1));
    }

    [Fact]
    public async Task Unknown_duplicate_and_unlabelled_ids_are_reported_not_thrown()
    {
        var s = RoutingSession.Open(LiveTestData.Setup());
        var batch = s.Route(LiveTestData.Pairs(LiveTestData.Features(3, 8, 1)));
        await s.RecordAsync(batch, [Label(batch[0]), LabelOutcome.Unlabelled([new FailedRm("rm0", "timeout")]), Label(batch[2])]);
        var notRecorded = s.Route(LiveTestData.Pairs(LiveTestData.Features(1, 8, 2)))[0];
        var first = await s.LearnAsync([
            FeedbackItem.OfReward(batch[0].DecisionId, 1), FeedbackItem.OfReward(batch[0].DecisionId, 0),
            FeedbackItem.OfReward(batch[1].DecisionId, 1), FeedbackItem.OfReward("nonsense", 1),
            FeedbackItem.OfReward(s.InstanceId + "-999", 1), FeedbackItem.OfReward(notRecorded.DecisionId, 1),
            FeedbackItem.OfReward("other-0", 1),
        ]);
        Assert.Equal(1, first.Accepted);
        Assert.Equal([batch[0].DecisionId], first.Duplicate);
        Assert.Equal([batch[1].DecisionId], first.Unlabelled);
        Assert.Equal(["nonsense", s.InstanceId + "-999", notRecorded.DecisionId, "other-0"], first.Unknown);
        var second = await s.LearnAsync([FeedbackItem.OfLoss(batch[0].DecisionId, 0.3), FeedbackItem.OfLoss(batch[2].DecisionId, 0.3)]);
        Assert.Equal(1, second.Accepted);
        Assert.Equal([batch[0].DecisionId], second.Duplicate);
        Assert.Equal(2, s.FeedbackBatches);
        Assert.Equal(1, s.Statistics().Unlabelled);
    }

    [Fact]
    public async Task Checkpoint_plus_replayed_log_equals_a_session_that_never_stopped()
    {
        using var dir = new TempDir();
        var setup = LiveTestData.Setup(arms: 3, seed: 9);
        var store = new MemoryDecisionStore("inst");
        var uninterrupted = RoutingSession.Open(setup, new MemoryDecisionStore("inst"));
        var first = RoutingSession.Open(setup, store);
        var checkpoint = Path.Combine(dir.Path, "state.bin");
        var rng = new Random(1);
        var decisionsAfterRestart = new List<(int, double)>();
        RoutingSession live = first;
        for (int step = 0; step < 6; step++)
        {
            if (step == 2) await live.SaveCheckpointAsync(checkpoint);
            if (step == 4) live = RoutingSession.Open(setup, store, checkpointPath: checkpoint); // "crash": state from checkpoint + log
            var features = LiveTestData.Features(20, 8, step);
            var a = await RouteAndRecord(live, features, $"s{step}-");
            var b = await RouteAndRecord(uninterrupted, features, $"s{step}-");
            Assert.Equal(b.Select(d => (d.DecisionId, d.Arm, d.Probability)), a.Select(d => (d.DecisionId, d.Arm, d.Probability)));
            var losses = features.Select(_ => rng.NextDouble()).ToArray();
            await live.LearnAsync(a.Select((d, i) => FeedbackItem.OfLoss(d.DecisionId, losses[i])).ToArray());
            await uninterrupted.LearnAsync(b.Select((d, i) => FeedbackItem.OfLoss(d.DecisionId, losses[i])).ToArray());
        }
        Assert.Equal(uninterrupted.LearnedStateDigest(), live.LearnedStateDigest());
        Assert.Equal(uninterrupted.Statistics(), live.Statistics(), new StatisticsComparer());
        // A restart from the log alone (no checkpoint) replays every batch and agrees too.
        Assert.Equal(uninterrupted.LearnedStateDigest(), RoutingSession.Open(setup, store).LearnedStateDigest());
        Assert.NotEqual(uninterrupted.LearnedStateDigest(), RoutingSession.Open(setup, new MemoryDecisionStore("inst")).LearnedStateDigest());
    }

    [Fact]
    public async Task Checkpoints_and_digests_taken_while_other_requests_learn_are_consistent_snapshots()
    {
        // The checkpoint is captured under the lock and serialised outside it: taken while four "requests" route and
        // learn, every checkpoint must still restore (with the log replayed after it) to exactly the live state.
        using var dir = new TempDir();
        var setup = LiveTestData.Setup(arms: 3, seed: 12);
        var store = new MemoryDecisionStore("inst");
        var live = RoutingSession.Open(setup, store, new RoutingSessionOptions { Rewards = new QuantileNormaliserOptions { MaxHistory = 64 } });
        var checkpoint = Path.Combine(dir.Path, "state.bin");
        int running = 4;
        var digests = new List<string>();
        async Task Client(int c)
        {
            var rng = new Random(c);
            for (int step = 0; step < 12; step++)
            {
                var batch = await RouteAndRecord(live, LiveTestData.Features(8, 8, 100 * c + step), $"c{c}s{step}-");
                await live.LearnAsync(batch.Select(d => FeedbackItem.OfLoss(d.DecisionId, rng.NextDouble())).ToArray());
            }
            Interlocked.Decrement(ref running);
        }
        async Task Checkpointer()
        {
            do
            {
                await live.SaveCheckpointAsync(checkpoint);
                digests.Add(live.LearnedStateDigest());
                await Task.Yield();
            }
            while (Volatile.Read(ref running) > 0 || digests.Count < 20);
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(c => Task.Run(() => Client(c))).Append(Task.Run(Checkpointer)));
        Assert.NotEmpty(digests);
        var restored = RoutingSession.Open(setup, store, new RoutingSessionOptions { Rewards = new QuantileNormaliserOptions { MaxHistory = 64 } }, checkpoint);
        Assert.Equal(live.LearnedStateDigest(), restored.LearnedStateDigest());
        Assert.Equal(4 * 12 * 8, live.Statistics().Feedback);
    }

    [Fact]
    public async Task A_checkpoint_of_another_pool_is_refused()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "state.bin");
        await RoutingSession.Open(LiveTestData.Setup(arms: 3)).SaveCheckpointAsync(path);
        var e = Assert.Throws<InvalidDataException>(() => RoutingSession.Open(LiveTestData.Setup(arms: 2), checkpointPath: path));
        Assert.Contains("pool", e.Message);
    }

    [Fact]
    public async Task A_failed_log_write_stops_the_session()
    {
        var s = RoutingSession.Open(LiveTestData.Setup(), new FailingStore());
        var batch = s.Route(LiveTestData.Pairs(LiveTestData.Features(2, 8, 1)));
        await Assert.ThrowsAsync<SessionFaultedException>(() => s.RecordAsync(batch, batch.Select(d => Label(d)).ToArray()));
        Assert.True(s.IsFaulted);
        Assert.Throws<SessionFaultedException>(() => s.Route(LiveTestData.Pairs(LiveTestData.Features(1, 8, 1))));
    }

    [Fact]
    public async Task LabelAsync_routes_labels_and_records_in_one_call()
    {
        var s = RoutingSession.Open(LiveTestData.Setup());
        var labeller = new PoolLabeller(s.Pool.Select(n => FakeRm.Verdict(n, Preference.B)).ToArray());
        var features = LiveTestData.Features(10, 8, 3);
        var result = await s.LabelAsync(features.Select((h, i) => new PairToLabel($"p{i}", h, new PairText("q", "a", "b"))).ToArray(), labeller);
        Assert.All(result, r => Assert.Equal(r.Decision.Rm, r.Label.Rm));
        Assert.All(result, r => Assert.Equal(Preference.B, r.Label.Preferred));
        var fb = await s.LearnAsync(result.Select(r => FeedbackItem.OfReward(r.Decision.DecisionId, 1)).ToArray());
        Assert.Equal(10, fb.Accepted);
    }

    private sealed class StatisticsComparer : IEqualityComparer<SessionStatistics>
    {
        public bool Equals(SessionStatistics? x, SessionStatistics? y) => x!.Decisions == y!.Decisions && x.Feedback == y.Feedback
            && x.Rms.SequenceEqual(y.Rms);
        public int GetHashCode(SessionStatistics obj) => 0;
    }

    private sealed class FailingStore : IDecisionStore
    {
        public string Attach(IReadOnlyList<string> pool, string featuresId) => "x";
        public Task AppendDecisionsAsync(IReadOnlyList<LabelledDecision> decisions, SessionCursor cursor) => Task.FromException(new IOException("disk full"));
        public Task AppendFeedbackAsync(FeedbackBatch batch) => Task.FromException(new IOException("disk full"));
        public Task FlushAsync() => Task.CompletedTask;
        public IReadOnlyDictionary<long, StoredDecision> FindDecisions(IReadOnlyCollection<long> sequences) => new Dictionary<long, StoredDecision>();
        public SessionCursor? ReadCursor() => null;
        public IEnumerable<FeedbackBatch> ReadFeedback(long afterBatch) => [];
        public IEnumerable<DecisionLogEntry> ReadDecisions() => [];
        public LogCounts Counts() => new(0, 0, new long[3], new long[3], new long[3], new double[3]);
        public void Dispose() { }
    }
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "br-live-" + Guid.NewGuid().ToString("N")[..8]);
    public TempDir() => Directory.CreateDirectory(Path);
    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }
}
