using System.Text.Json;
using BayesianRouter.Core.Tests.Offline;
using BayesianRouter.Data;
using BayesianRouter.Evaluation;
using static BayesianRouter.Core.Tests.Offline.PairFactory;

namespace BayesianRouter.Core.Tests.Evaluation;

public class RoutingAccuracyTests
{
    private static readonly string[] Pool = ["r1", "r2", "r3"];

    // p1: only r1 right; p2: r2 and r3 right; p3: nobody right (dropped by the filter); p4: r1 right, r3 ties;
    // p5: no ground truth (left out everywhere).
    private static List<PreferencePair> Pairs() =>
    [
        Pair("p1", "g1", "A", ("r1", 'a'), ("r2", 'b'), ("r3", 'b')),
        Pair("p2", "g2", "A", ("r1", 'b'), ("r2", 'a'), ("r3", 'a')),
        Pair("p3", "g3", "B", ("r1", 'b'), ("r2", 'b'), ("r3", 'b')),
        Pair("p4", "g4", null, ("r1", 'a'), ("r2", 'b'), ("r3", 't')),
        Pair("p5", "g5", "A", ("r1", 'a')) with { Preferred = null },
    ];

    private static readonly int[] Choices = [0, 1, 0, 2, 0];

    [Fact]
    public void FilteredTableKeepsPairsSomeRmGetsRight()
    {
        var report = RoutingAccuracy.Evaluate(Pairs(), Pool, [("router", Choices)]);
        var f = report.Filtered.All;
        Assert.Equal(3, report.PairsFiltered);
        Assert.Equal(1.0, f.Oracle);
        Assert.Equal(2.0 / 3, f.Routers["router"], 12);
        Assert.Equal(2.0 / 3, f.Single["r1"], 12);
        Assert.Equal(1.0 / 3, f.Single["r2"], 12);
        Assert.Equal(1.0 / 3, f.Single["r3"], 12);
        Assert.Equal((0 + 1 + 0.5) / 3, f.Majority, 12);          // p4's vote is 1 right, 1 wrong, 1 abstains: half
        Assert.Equal((1.0 / 3 + 2.0 / 3 + 1.0 / 3) / 3, f.Random, 12);
        Assert.Equal("r1", f.BestSingle.Rm);
        Assert.Equal(2.0 / 3, f.BestSingle.Accuracy, 12);
    }

    [Fact]
    public void UnfilteredTableKeepsEveryLabelledPair()
    {
        var u = RoutingAccuracy.Evaluate(Pairs(), Pool, [("router", Choices)]).Unfiltered.All;
        Assert.Equal(4, u.Pairs);
        Assert.Equal(0.75, u.Oracle, 12);
        Assert.Equal(0.5, u.Routers["router"], 12);
        Assert.Equal(1.5 / 4, u.Majority, 12);
        Assert.Equal(1.0 / 3, u.Random, 12);
    }

    [Fact]
    public void DomainsPartitionThePairsAndPairsWithoutOneGoLast()
    {
        var report = RoutingAccuracy.Evaluate(Pairs(), Pool, [("router", Choices)]);
        Assert.Equal(new[] { "A", RoutingTable.NoDomain }, report.Filtered.ByDomain.Keys);
        Assert.Equal(new[] { "A", "B", RoutingTable.NoDomain }, report.Unfiltered.ByDomain.Keys);
        Assert.Equal(report.Filtered.All.Pairs, report.Filtered.ByDomain.Values.Sum(s => s.Pairs));
        Assert.Equal(1.0, report.Filtered.ByDomain["A"].Routers["router"]);
        Assert.Equal(0.0, report.Filtered.ByDomain[RoutingTable.NoDomain].Routers["router"]);
        Assert.Equal(0.0, report.Unfiltered.ByDomain["B"].Oracle);
    }

    [Fact]
    public void AlwaysChoosingOneRmScoresThatRm()
    {
        var pairs = Pairs();
        for (int arm = 0; arm < Pool.Length; arm++)
        {
            var report = RoutingAccuracy.Evaluate(pairs, Pool, [("fixed", Enumerable.Repeat(arm, pairs.Count).ToArray())]);
            Assert.Equal(report.Filtered.All.Single[Pool[arm]], report.Filtered.All.Routers["fixed"]);
            Assert.Equal(report.Unfiltered.All.Single[Pool[arm]], report.Unfiltered.All.Routers["fixed"]);
        }
    }

    [Fact]
    public void AMissingJudgmentAbstainsFromTheVoteAndIsNeverRight()
    {
        var p = Pair("p", "g", null, ("r1", 'a'), ("r2", 'b'));
        Assert.Equal(0.5, RoutingAccuracy.MajorityCredit(p, Pool));
        Assert.Equal(1.0 / 3, RoutingAccuracy.RandomCredit(p, Pool), 12);
        var report = RoutingAccuracy.Evaluate([p], Pool, [("router", new[] { 2 })]);
        Assert.Equal(0.0, report.Filtered.All.Routers["router"]);
    }

    [Fact]
    public void BadChoicesAreRejected()
    {
        var pairs = Pairs();
        Assert.Throws<ArgumentException>(() => RoutingAccuracy.Evaluate(pairs, Pool, [("router", new[] { 0 })]));
        Assert.Throws<ArgumentException>(() => RoutingAccuracy.Evaluate(pairs, Pool, [("router", new[] { 0, 1, 2, 3, 0 })]));
    }

    [Fact]
    public void JsonCarriesTheDocumentedKeys()
    {
        var report = RoutingAccuracy.Evaluate(Pairs(), Pool, [("router", Choices), ("router_no_cls", new[] { 0, 0, 0, 0, 0 })]);
        using var doc = JsonDocument.Parse(RoutingReportJson.Format(report));
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("pairs_filtered").GetInt32());
        Assert.Equal(4, root.GetProperty("pairs").GetInt32());
        foreach (var table in new[] { "filtered", "unfiltered" })
        {
            var t = root.GetProperty(table);
            foreach (var key in new[] { "router", "router_no_cls", "majority", "random", "oracle" })
                Assert.InRange(t.GetProperty(key).GetDouble(), 0, 1);
            Assert.Equal(Pool, t.GetProperty("single").EnumerateObject().Select(p => p.Name));
        }
        Assert.Equal(Math.Round(2.0 / 3, 6), root.GetProperty("filtered").GetProperty("router").GetDouble());
        Assert.Equal(1.0, root.GetProperty("filtered").GetProperty("domains").GetProperty("A").GetProperty("router").GetDouble());
    }
}
