using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.RewardModels;

public class ScoringRewardModelTests
{
    /// <summary>Scores a response by its length; "nan" scores NaN; records what it was asked.</summary>
    private sealed class LengthScorer(int? replyLength = null) : IRewardScorer
    {
        public List<ResponseText> Seen { get; } = [];
        public string Name => "length";

        public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<ResponseText> items, CancellationToken cancellationToken = default)
        {
            Seen.AddRange(items);
            var scores = items.Select(i => i.Response == "nan" ? double.NaN : i.Response.Length).Take(replyLength ?? items.Count).ToArray();
            return Task.FromResult<IReadOnlyList<double>>(scores);
        }
    }

    [Fact]
    public async Task ScoresBothResponsesOfEveryPairInOneCallAndJudgesByTheScores()
    {
        var scorer = new LengthScorer();
        var rm = new ScoringRewardModel(scorer);
        var results = await rm.JudgeAsync([new PairText("p", "long answer", "short"), new PairText("q", "ab", "abc"), new PairText("r", "x", "y")]);

        Assert.Equal(["long answer", "short", "ab", "abc", "x", "y"], scorer.Seen.Select(s => s.Response));
        Assert.Equal(["p", "p", "q", "q", "r", "r"], scorer.Seen.Select(s => s.Prompt));
        Assert.Equal([Preference.A, Preference.B, Preference.Tie], results.Select(r => r.Judgment!.Prefers()));
        Assert.Equal(11, results[0].Judgment!.ScoreA);
        Assert.Equal("length", rm.Name);
    }

    [Fact]
    public async Task ANonFiniteScoreFailsOnlyItsPair()
    {
        var results = await new ScoringRewardModel(new LengthScorer()).JudgeAsync([new PairText("p", "nan", "b"), new PairText("q", "aa", "b")]);
        Assert.False(results[0].Succeeded);
        Assert.Contains("non-finite", results[0].Error);
        Assert.True(results[1].Succeeded);
        Assert.Equal(Preference.A, results[1].Judgment!.Prefers());
    }

    [Fact]
    public async Task AReplyOfTheWrongLengthFailsEveryPair()
    {
        var results = await new ScoringRewardModel(new LengthScorer(replyLength: 3)).JudgeAsync([new PairText("p", "a", "b"), new PairText("q", "a", "b")]);
        Assert.All(results, r => Assert.Contains("3 scores for 4 responses", r.Error));
        Assert.Empty(await new ScoringRewardModel(new LengthScorer()).JudgeAsync([]));
    }

    [Fact]
    public void AFailureNeedsAReason()
    {
        Assert.Throws<ArgumentException>(() => RmJudgment.Failed(" "));
        Assert.Equal("failed: timeout", RmJudgment.Failed("timeout").ToString());
    }
}
