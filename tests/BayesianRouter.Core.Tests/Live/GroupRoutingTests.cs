using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;
using BayesianRouter.Rewards;

namespace BayesianRouter.Core.Tests.Live;

public class GroupRoutingTests
{
    /// <summary>A scalar RM: the score of a response is a function of the RM's name and the text.</summary>
    private static FakeRm Scalar(string name) => new(name, p => RmJudgment.Of(Judgment.FromScores(Score(name, p.ResponseA), Score(name, p.ResponseB))));

    private static double Score(string name, string text) => (name.Length * 7 + text.Sum(c => c)) % 13 - 6;

    /// <summary>A judge that prefers the longer response (b on a tie of lengths: never here).</summary>
    private static FakeRm LongerWins(string name) => new(name, p => RmJudgment.Of(Judgment.FromVerdict(p.ResponseB.Length > p.ResponseA.Length ? Preference.B : Preference.A)));

    private static ResponseGroup Group(int g, int n) => new($"g{g}", $"prompt {g}", Enumerable.Range(0, n).Select(i => new string('x', 1 + (i * 3 + g) % 5) + $" r{i}").ToArray());

    [Fact]
    public async Task One_decision_per_group_and_every_response_scored_by_it_in_one_batched_call_per_RM()
    {
        var rms = new[] { Scalar("rm0"), Scalar("rm1"), Scalar("rm2") };
        var session = RoutingSession.Open(LiveTestData.Setup());
        var groups = Enumerable.Range(0, 12).Select(g => Group(g, 5)).ToArray();
        var features = LiveTestData.Features(12, 8, 3);
        var routed = await session.ScoreGroupsAsync(groups.Select((t, i) => new GroupToRoute(t.GroupId, features[i], t)).ToArray(), new GroupScorer(rms));
        Assert.Equal(12, session.Statistics().Decisions);
        for (int g = 0; g < 12; g++)
        {
            var (decision, scores) = routed[g];
            Assert.Equal($"g{g}", decision.PairId);
            Assert.Equal($"g{g}", decision.Group);
            Assert.Equal(decision.Rm, scores.Rm);
            Assert.Equal(groups[g].Responses.Select(r => Score(decision.Rm, r)).ToArray(), scores.Scores);
            Assert.Equal(5, scores.CallsPerArm[decision.Arm]); // five responses scored, ceil(5 / 2) = 3 pairs
        }
        foreach (var (rm, n) in rms.Select((r, n) => (r, n)))
        {
            int groupsOfRm = routed.Count(r => r.Decision.Arm == n);
            Assert.Equal(groupsOfRm == 0 ? [] : new[] { 3 * groupsOfRm }, rm.CallSizes); // one call for all its groups
        }
    }

    [Fact]
    public async Task A_failing_RM_moves_the_whole_group_to_the_next_RM_of_its_order()
    {
        var rms = new[] { Scalar("rm0"), Scalar("rm1"), Scalar("rm2") };
        rms[0].Throws = new HttpRequestException("refused");
        var session = RoutingSession.Open(LiveTestData.Setup());
        var features = LiveTestData.Features(30, 8, 4);
        var groups = Enumerable.Range(0, 30).Select(g => Group(g, 4)).ToArray();
        var routed = await session.ScoreGroupsAsync(groups.Select((t, i) => new GroupToRoute(t.GroupId, features[i], t)).ToArray(), new GroupScorer(rms));
        var moved = routed.Where(r => r.Decision.Arm == 0).ToArray();
        Assert.NotEmpty(moved);
        foreach (var (decision, scores) in moved)
        {
            Assert.Equal(decision.FallbackOrder[1], scores.Arm);
            Assert.Equal(["rm0"], scores.FallbackFrom.Select(f => f.Rm));
            Assert.Equal(groups[int.Parse(decision.PairId[1..])].Responses.Select(r => Score(scores.Rm!, r)).ToArray(), scores.Scores);
        }
        // the log keeps the labelling RM, so feedback updates the RM that scored the group
        var learned = await session.LearnAsync([FeedbackItem.OfReward(moved[0].Decision.DecisionId, 1)]);
        Assert.Equal(1, learned.Accepted);
        Assert.Equal(1, session.Statistics().Rms[moved[0].Scores.Arm!.Value].Feedback);
    }

    [Fact]
    public async Task A_pairwise_judge_compares_each_response_with_the_anchor_at_n_minus_1_calls()
    {
        var judge = LongerWins("judge");
        var scorer = new GroupScorer([judge], new GroupScorerOptions { Pairwise = [true] });
        var group = new ResponseGroup("g", "p", ["xxx", "x", "xxxxx", "xxx"]);
        Assert.Equal(2, scorer.CallsFor(0, group)); // the copy of the anchor costs nothing
        var result = (await scorer.ScoreWithAsync(0, [group]))[0];
        Assert.Equal([0.5, 0, 1, 0.5], result.Scores!);
        Assert.Equal([2], judge.CallSizes);
        var anchored = (await scorer.ScoreWithAsync(0, [group with { Responses = ["xxxx", "x"], Anchor = "xxx" }]))[0];
        Assert.Equal([1.0, 0], anchored.Scores!); // an anchor from an earlier request: every response is compared
    }

    [Fact]
    public void Rank_agreement_is_kendalls_concordance_with_ties_at_one_half()
    {
        Assert.Equal(1.0, RankAgreement.Concordance([1, 2, 3], [10, 20, 30]));
        Assert.Equal(0.0, RankAgreement.Concordance([1, 2, 3], [3, 2, 1]));
        Assert.Equal(2.0 / 3, RankAgreement.Concordance([1, 2, 3], [1, 3, 2])!.Value, 12);
        Assert.Equal(0.5, RankAgreement.Concordance([1, 1], [1, 2]));
        Assert.Null(RankAgreement.Concordance([1], [2]));
        Assert.Throws<ArgumentException>(() => RankAgreement.Concordance([1, double.NaN], [1, 2]));
    }

    [Fact]
    public void Running_standardisation_uses_every_score_so_far()
    {
        var s = new RunningStandardiser();
        Assert.Equal([0.0], s.AddAndStandardise([5]));
        var z = s.AddAndStandardise([1, 3]); // scores 5, 1, 3: mean 3, sd 2
        Assert.Equal([-1.0, 0.0], z);
        Assert.Equal(3, s.Count);
    }
}
