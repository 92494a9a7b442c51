using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Live;

public class MemoryDecisionStoreTests
{
    private static LabelledDecision Made(long seq, int arm, LabelOutcome label) => new(new Decision
    {
        DecisionId = $"i-{seq}", Sequence = seq, PairId = $"p{seq}", Arm = arm, Rm = $"rm{arm}", Probability = 0.25 + seq / 100.0,
        FallbackOrder = arm == 0 ? [0, 1] : [1, 0], Features = [seq, 1], FeaturesHash = BayesianRouter.Live.Decision.HashFeatures([seq, 1]),
        Domain = seq % 2 == 0 ? "algebra" : null, Group = $"g{seq % 3}",
    }, label);

    private static async Task<MemoryDecisionStore> Filled(bool forget)
    {
        var store = new MemoryDecisionStore("inst", forget);
        store.Attach(["rm0", "rm1"], "features-1");
        await store.AppendDecisionsAsync([
            Made(0, 0, LabelOutcome.Labelled("rm0", 0, Judgment.FromScores(1.5, -2), [])),
            Made(1, 1, LabelOutcome.Labelled("rm0", 0, Judgment.FromVerdict(Preference.Tie), [new FailedRm("rm1", "HTTP 500")])),
            Made(2, 1, LabelOutcome.Unlabelled([new FailedRm("rm1", "timeout"), new FailedRm("rm0", "refused")])),
            Made(3, 0, LabelOutcome.ByCaller("rm0", 0)),
        ], new SessionCursor(4, [1, 2, 3]));
        await store.AppendFeedbackAsync(new FeedbackBatch(1, [new FeedbackRecord(0, 0, [0, 1], true, 0.3, 0.5, "algebra", "g0"), new FeedbackRecord(1, 0, [1, 1], false, 1, 1, null, "g1")]));
        return store;
    }

    [Fact]
    public async Task Its_saved_state_restores_every_decision_label_feedback_and_count()
    {
        var store = await Filled(forget: false);
        var bytes = CheckpointFile.ToBytes(store);
        var copy = new MemoryDecisionStore();
        CheckpointFile.Restore(bytes, copy);
        Assert.Equal("inst", copy.Attach(["rm0", "rm1"], "features-1"));
        Assert.Throws<InvalidDataException>(() => copy.Attach(["rm0", "rm1"], "features-2"));
        Assert.Equal(Describe(store.ReadDecisions()), Describe(copy.ReadDecisions()));
        Assert.Equal(store.ReadFeedback(0).Single().Items.Select(f => (f.Sequence, f.Reward, f.Domain, f.Group)), copy.ReadFeedback(0).Single().Items.Select(f => (f.Sequence, f.Reward, f.Domain, f.Group)));
        Assert.Equal(store.ReadCursor()!.Generators, copy.ReadCursor()!.Generators);
        Assert.Equal(Counts(store.Counts()), Counts(copy.Counts()));
        Assert.Equal(CheckpointFile.ToBytes(store), CheckpointFile.ToBytes(copy));
    }

    [Fact]
    public async Task Forgetting_learned_decisions_keeps_the_counts_and_only_the_pending_decisions()
    {
        var keep = await Filled(forget: false);
        var forget = await Filled(forget: true);
        Assert.Equal([2, 3], forget.ReadDecisions().Select(e => e.Decision.Sequence));
        Assert.Empty(forget.ReadFeedback(0));
        Assert.Empty(forget.FindDecisions([0, 1]));
        Assert.Equal(Counts(keep.Counts()), Counts(forget.Counts()));
        var copy = new MemoryDecisionStore("x", forgetLearned: true);
        CheckpointFile.Restore(CheckpointFile.ToBytes(forget), copy);
        Assert.Equal(Counts(keep.Counts()), Counts(copy.Counts()));
        Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(CheckpointFile.ToBytes(forget), new MemoryDecisionStore()));
    }

    private static string[] Describe(IEnumerable<DecisionLogEntry> log) => log.Select(e =>
        $"{e.Decision.DecisionId} {e.Decision.PairId} {e.Decision.Arm} {e.Decision.Rm} {e.Decision.Probability} {string.Join(",", e.Decision.FallbackOrder)} " +
        $"{string.Join(",", e.Decision.Features)} {e.Decision.FeaturesHash} {e.Decision.Domain} {e.Decision.Group} | {e.Label.Rm} {e.Label.Arm} " +
        $"{e.Label.Judgment?.ScoreA} {e.Label.Judgment?.ScoreB} {e.Label.Judgment?.Verdict} {e.Label.Preferred} {string.Join(";", e.Label.FallbackFrom)} {e.Label.Error} | {e.Feedback?.Reward}").ToArray();

    private static string Counts(LogCounts c) =>
        $"{c.Decisions} {c.Feedback} {string.Join(",", c.Labelled)} {string.Join(",", c.Chosen)} {string.Join(",", c.FeedbackPerArm)} {string.Join(",", c.RewardSum)}";
}
