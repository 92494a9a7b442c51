using BayesianRouter.Data;
using BayesianRouter.Evaluation;
using static BayesianRouter.Core.Tests.Offline.PairFactory;

namespace BayesianRouter.Core.Tests.Evaluation;

public class RoutingSummaryTests
{
    private static readonly string[] Pool = ["r1", "r2"];

    [Fact]
    public void MeansAndSpreadsAreTakenOverSeedsWithHindsightBestPerSeed()
    {
        // Seed A: r1 right on both pairs, r2 on one; seed B: r2 right on both, r1 on one.
        List<PreferencePair> a = [Pair("p1", "g1", null, ("r1", 'a'), ("r2", 'a')), Pair("p2", "g2", null, ("r1", 'a'), ("r2", 'b'))];
        List<PreferencePair> b = [Pair("p1", "g1", null, ("r1", 'a'), ("r2", 'a')), Pair("p2", "g2", null, ("r1", 'b'), ("r2", 'a'))];
        var ra = RoutingAccuracy.Evaluate(a, Pool, [("router", new[] { 1, 1 })]);
        var rb = RoutingAccuracy.Evaluate(b, Pool, [("router", new[] { 1, 1 })]);
        var s = RoutingSummary.Of([ra, rb]);
        Assert.Equal(2, s.Seeds);
        Assert.Equal(new[] { "router", "r1", "r2", RoutingSummary.BestSingle, RoutingSummary.Majority, RoutingSummary.Random, RoutingSummary.Oracle }, s.Methods);
        Assert.Equal(1.0, s.Filtered[RoutingSummary.BestSingle].Mean);     // each seed's best RM is right on both pairs
        Assert.Equal(0.75, s.Filtered["r1"].Mean, 12);
        Assert.Equal(Math.Sqrt(0.125), s.Filtered["r1"].Std, 12);          // values 1 and 0.5
        Assert.Equal(0.75, s.Filtered["router"].Mean, 12);
        Assert.Equal(0.0, s.Filtered[RoutingSummary.Oracle].Std);
    }

    [Fact]
    public void ReportsWithDifferentPoolsAreRefused()
    {
        var p = new List<PreferencePair> { Pair("p", "g", null, ("r1", 'a'), ("r2", 'a'), ("r3", 'a')) };
        var two = RoutingAccuracy.Evaluate(p, Pool, []);
        var three = RoutingAccuracy.Evaluate(p, ["r1", "r2", "r3"], []);
        Assert.Throws<ArgumentException>(() => RoutingSummary.Of([two, three]));
        Assert.Throws<ArgumentException>(() => RoutingSummary.Of([]));
    }
}
