using BayesianRouter.Data;
using BayesianRouter.Data.Import;

namespace BayesianRouter.Core.Tests.Data;

public class PairPlacementTests
{
    private static List<PreferencePair> Place(int seed, int n)
    {
        var placement = new PairPlacement(seed);
        return Enumerable.Range(0, n).Select(i => placement.Place($"{i}", "g", "p", "chosen", "rejected", null,
            [new("likes-chosen", Judgment.FromScores(2, 1)), new("likes-rejected", Judgment.FromVerdict(Preference.B))])).ToList();
    }

    [Fact]
    public void SameSeedSamePlacementAndAboutHalfOnB()
    {
        var first = Place(7, 2000).Select(p => p.Preferred).ToList();
        Assert.Equal(first, Place(7, 2000).Select(p => p.Preferred));
        Assert.NotEqual(first, Place(8, 2000).Select(p => p.Preferred));
        int b = first.Count(p => p == Preference.B);
        Assert.InRange(b, 900, 1100);
    }

    [Fact]
    public void ResponsesAndJudgmentsFollowTheChosenResponse()
    {
        foreach (var p in Place(3, 50))
        {
            var chosenText = p.Preferred == Preference.A ? p.ResponseA : p.ResponseB;
            var rejectedText = p.Preferred == Preference.A ? p.ResponseB : p.ResponseA;
            Assert.Equal(("chosen", "rejected"), (chosenText, rejectedText));
            Assert.True(p.IsRight("likes-chosen"));
            Assert.False(p.IsRight("likes-rejected"));
            var score = p.Judgments["likes-chosen"];
            Assert.Equal(2.0, p.Preferred == Preference.A ? score.ScoreA : score.ScoreB);
        }
    }
}
