using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.RewardModels;

public class RecordedRewardModelTests
{
    private static PreferencePair Pair(string id, string prompt, string a, string b, params (string Rm, Judgment J)[] judgments) => new()
    {
        Id = id,
        Group = prompt,
        Prompt = prompt,
        ResponseA = a,
        ResponseB = b,
        Preferred = Preference.A,
        Judgments = judgments.ToDictionary(j => j.Rm, j => j.J),
    };

    private static readonly List<PreferencePair> Pairs =
    [
        Pair("1", "p", "x", "y", ("s", Judgment.FromScores(1, 2)), ("v", Judgment.FromVerdict(Preference.A))),
        Pair("2", "p", "x", "z", ("s", Judgment.FromScores(1, 0.5)), ("v", Judgment.FromVerdict(Preference.Tie))),
        Pair("3", "q", "u", "w", ("s", Judgment.FromScores(3, 3))),
    ];

    [Fact]
    public async Task RecordedPairsAreJudgedAsRecordedInEitherOrder()
    {
        var rm = new RecordedRewardModel(RecordedJudgments.From(Pairs, "s"));
        var r = await rm.JudgeAsync([new("p", "x", "y"), new("p", "y", "x"), new("q", "u", "w")]);
        Assert.Equal((1.0, 2.0), (r[0].Judgment!.ScoreA!.Value, r[0].Judgment!.ScoreB!.Value));
        Assert.Equal((2.0, 1.0), (r[1].Judgment!.ScoreA!.Value, r[1].Judgment!.ScoreB!.Value));
        Assert.Equal(Preference.Tie, r[2].Judgment!.Prefers());
        Assert.Equal("s", rm.Name);

        var v = new RecordedRewardModel(RecordedJudgments.From(Pairs, "v"));
        var verdicts = await v.JudgeAsync([new("p", "y", "x"), new("p", "x", "y"), new("p", "z", "x")]);
        Assert.Equal([Preference.B, Preference.A, Preference.Tie], verdicts.Select(j => j.Judgment!.Prefers()));
    }

    [Fact]
    public async Task AScalarRmJudgesAnUnrecordedPairOfKnownResponsesByTheirScores()
    {
        var rm = new RecordedRewardModel(RecordedJudgments.From(Pairs, "s"));
        var r = (await rm.JudgeAsync([new("p", "y", "z")]))[0];
        Assert.Equal((2.0, 0.5), (r.Judgment!.ScoreA!.Value, r.Judgment!.ScoreB!.Value));
    }

    [Fact]
    public async Task UnknownTextIsAFailureNamingWhatWasNotFound()
    {
        var s = new RecordedRewardModel(RecordedJudgments.From(Pairs, "s"));
        var r = await s.JudgeAsync([new("nope", "x", "y"), new("p", "x", "new answer"), new("q", "w", "u")]);
        Assert.Equal("not_found: RM \"s\" has no recorded judgment for the prompt \"nope\"", r[0].Error);
        Assert.Equal("not_found: RM \"s\" has no recorded score for response b \"new answer\" of the prompt \"p\"", r[1].Error);
        Assert.True(r[2].Succeeded);
        var v = new RecordedRewardModel(RecordedJudgments.From(Pairs, "v"));
        var unknownPair = (await v.JudgeAsync([new("p", "y", "z")]))[0];
        Assert.Equal(RmFailure.NotFound, RmFailure.KindOf(unknownPair.Error));
        Assert.Contains("no recorded judgment of these two responses", unknownPair.Error);
    }

    [Fact]
    public async Task ConflictingScoresAreCountedTheFirstIsScoredAndPairsKeepTheirOwnJudgment()
    {
        // "x" to "p" is scored 1 in pair 1 and 5 in pair 2.
        List<PreferencePair> pairs =
        [
            Pair("1", "p", "x", "y", ("s", Judgment.FromScores(1, 2))),
            Pair("2", "p", "x", "z", ("s", Judgment.FromScores(5, 4))),
            Pair("3", "p", "y", "x", ("s", Judgment.FromScores(0, 9))), // the same pair as 1, swapped, judged otherwise
        ];
        var record = RecordedJudgments.From(pairs, "s");
        Assert.Equal(2, record.ConflictingScores); // x (1, 5, 9) and y (2, 0)
        Assert.Equal(1, record.ConflictingPairs);
        var judged = await new RecordedRewardModel(record).JudgeAsync([new("p", "x", "z")]);
        Assert.Equal(Preference.A, judged[0].Judgment!.Prefers()); // its own recorded 5 vs 4, not the first score of x (1)
        var scores = await new RecordedRewardScorer(record).ScoreAsync([new("p", "x")]);
        Assert.Equal(1.0, scores[0]);
    }

    [Fact]
    public async Task TheScorerAnswersScoresAndFailsTheCallOnUnknownText()
    {
        var scorer = new RecordedRewardScorer(RecordedJudgments.From(Pairs, "s"));
        Assert.Equal([1.0, 2.0, 0.5, 3.0], await scorer.ScoreAsync([new("p", "x"), new("p", "y"), new("p", "z"), new("q", "w")]));
        var e = await Assert.ThrowsAsync<RecordedTextNotFoundException>(() => scorer.ScoreAsync([new("p", "x"), new("p", "other")]));
        Assert.Contains("no recorded score for the response \"other\"", e.Message);
        Assert.Throws<ArgumentException>(() => new RecordedRewardScorer(RecordedJudgments.From(Pairs, "v")));
    }

    [Fact]
    public void AnRmWithoutJudgmentsIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => RecordedJudgments.From(Pairs, "nobody", "pairs.jsonl"));
        Assert.Equal("pairs.jsonl has no judgment of RM \"nobody\" (its RMs: s, v)", e.Message);
    }

    [Fact]
    public async Task ItHonoursCancellation()
    {
        var rm = new RecordedRewardModel(RecordedJudgments.From(Pairs, "s"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rm.JudgeAsync([new("p", "x", "y")], new CancellationToken(true)));
    }
}
