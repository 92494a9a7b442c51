using BayesianRouter.Data;

namespace BayesianRouter.Core.Tests.Data;

public class JudgmentTests
{
    [Theory]
    [InlineData(2.0, 1.0, Preference.A)]
    [InlineData(-1.0, 0.5, Preference.B)]
    [InlineData(3.0, 3.0, Preference.Tie)]
    public void ScoresPreferTheHigherResponse(double a, double b, Preference expected)
    {
        var j = Judgment.FromScores(a, b);
        Assert.Equal(expected, j.Prefers());
        var swapped = j.Swapped();
        Assert.Equal((swapped.ScoreA, swapped.ScoreB), (j.ScoreB, j.ScoreA));
        Assert.Equal(expected switch { Preference.A => Preference.B, Preference.B => Preference.A, _ => Preference.Tie }, swapped.Prefers());
    }

    [Fact]
    public void VerdictsSwapAndTiesStayTies()
    {
        Assert.Equal(Preference.B, Judgment.FromVerdict(Preference.A).Swapped().Prefers());
        Assert.Equal(Preference.A, Judgment.FromVerdict(Preference.B).Swapped().Prefers());
        Assert.Equal(Preference.Tie, Judgment.FromVerdict(Preference.Tie).Swapped().Prefers());
    }

    [Fact]
    public void NonFiniteScoresAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Judgment.FromScores(double.NaN, 1));
        Assert.Throws<ArgumentException>(() => Judgment.FromScores(1, double.PositiveInfinity));
    }

    [Fact]
    public void RightMeansStrictlyPreferringTheGroundTruth()
    {
        var p = TestPairs.Scored("1", Preference.B, ("right", 0, 1), ("wrong", 1, 0), ("tie", 1, 1));
        Assert.True(p.IsRight("right"));
        Assert.False(p.IsRight("wrong"));
        Assert.False(p.IsRight("tie"));
        Assert.True(p.IsTie("tie"));
        Assert.False(p.IsRight("absent"));
        Assert.False(p.IsTie("absent"));
        Assert.False(TestPairs.Scored("2", null, ("rm", 0, 1)).IsRight("rm"));
    }
}
