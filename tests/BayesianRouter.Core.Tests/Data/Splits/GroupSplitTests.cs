using BayesianRouter.Core.Tests.Offline;
using BayesianRouter.Data;
using BayesianRouter.Data.Splits;

namespace BayesianRouter.Core.Tests.Data.Splits;

public class GroupSplitTests
{
    private static void AssertGroupsWhole(IReadOnlyList<PreferencePair> pairs, PairSplit split)
    {
        var trainGroups = split.Train.Select(i => pairs[i].Group).ToHashSet();
        var testGroups = split.Test.Select(i => pairs[i].Group).ToHashSet();
        Assert.Empty(trainGroups.Intersect(testGroups));
        Assert.Equal(pairs.Count, split.Train.Count + split.Test.Count);
        Assert.Equal(Enumerable.Range(0, pairs.Count), split.Train.Concat(split.Test).Order());
        Assert.Equal(testGroups.Order(StringComparer.Ordinal), split.TestGroups);
    }

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(0.5, 2)]
    [InlineData(0.3, 7)]
    public void ByFractionKeepsGroupsWholeAndTakesTheFraction(double fraction, int seed)
    {
        var pairs = PairFactory.Groups(40, 3);
        var split = GroupSplit.ByFraction(pairs, fraction, seed);
        AssertGroupsWhole(pairs, split);
        Assert.Equal((int)Math.Round(fraction * 40, MidpointRounding.AwayFromZero), split.TestGroups.Count);
    }

    [Fact]
    public void ByFractionIsSeededAndIgnoresPairOrder()
    {
        var pairs = PairFactory.Groups(30, 2);
        var a = GroupSplit.ByFraction(pairs, 0.5, 11);
        var shuffled = pairs.ToArray();
        new Random(5).Shuffle(shuffled);
        var b = GroupSplit.ByFraction(shuffled, 0.5, 11);
        Assert.Equal(a.TestGroups, b.TestGroups);
        var c = GroupSplit.ByFraction(pairs, 0.5, 12);
        Assert.NotEqual(a.TestGroups, c.TestGroups);
    }

    [Fact]
    public void ByFractionLeavesAGroupOnEachSideWhenItCan()
    {
        var pairs = PairFactory.Groups(3, 1);
        Assert.Single(GroupSplit.ByFraction(pairs, 0.01, 1).TestGroups);
        Assert.Equal(2, GroupSplit.ByFraction(pairs, 0.99, 1).TestGroups.Count);
        Assert.Empty(GroupSplit.ByFraction(pairs, 0, 1).Test);
        Assert.Empty(GroupSplit.ByFraction(pairs, 1, 1).Train);
    }

    [Fact]
    public void ByFractionRejectsAFractionOutsideZeroOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupSplit.ByFraction(PairFactory.Groups(2, 1), 1.5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupSplit.ByFraction(PairFactory.Groups(2, 1), double.NaN, 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ByDomainPutsWholeDomainsOnOneSideAndSplitsTheRestByGroup(int seed)
    {
        var pairs = PairFactory.Groups(60, 2, "algebra", "geometry", "counting", "number theory", null, null);
        var split = GroupSplit.ByDomain(pairs, 0.5, seed);
        AssertGroupsWhole(pairs, split);
        var testDomains = split.Test.Select(i => pairs[i].Domain).OfType<string>().ToHashSet();
        var trainDomains = split.Train.Select(i => pairs[i].Domain).OfType<string>().ToHashSet();
        Assert.Empty(testDomains.Intersect(trainDomains));
        Assert.Equal(2, testDomains.Count);
        Assert.Equal(2, trainDomains.Count);
        // 20 groups have no domain: half of them are held out.
        Assert.Equal(10, split.Test.Where(i => pairs[i].Domain == null).Select(i => pairs[i].Group).Distinct().Count());
    }

    [Fact]
    public void ByDomainVariesWithTheSeed()
    {
        var pairs = PairFactory.Groups(40, 1, "a", "b", "c", "d", "e", "f", "g", "h");
        var held = Enumerable.Range(1, 10)
            .Select(s => string.Join(",", GroupSplit.ByDomain(pairs, 0.5, s).Test.Select(i => pairs[i].Domain).Distinct().Order()))
            .Distinct().Count();
        Assert.True(held > 1);
    }

    [Fact]
    public void FromTestGroupsSelectsExactlyThosePairs()
    {
        var pairs = PairFactory.Groups(5, 2);
        var split = GroupSplit.FromTestGroups(pairs, ["g1", "g3", "missing"]);
        Assert.Equal(new[] { 2, 3, 6, 7 }, split.Test);
        Assert.Equal(new[] { "g1", "g3" }, split.TestGroups);
        Assert.Equal(split.Test.Select(i => pairs[i]), split.TestOf(pairs));
    }
}
