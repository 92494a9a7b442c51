using BayesianRouter.Data;
using BayesianRouter.Evaluation;

namespace BayesianRouter.Core.Tests.Data;

public class PairStatisticsTests
{
    // Four RMs on five pairs (ground truth a); r = right, w = wrong, t = tie, - = missing.
    //        x  y  z  w
    // p1     r  r  w  r    3 right of 4: majority 1, abstain 1
    // p2     r  w  w  t    1 right, 2 wrong: majority 0, abstain 0
    // p3     r  t  w  -    1 right, 1 wrong: majority 0 (1 of 4), abstain 0.5
    // p4     w  w  w  w    none right: oracle misses
    // p5     r  r  t  t    2 of 4 right: majority 0.5, abstain 1
    private static List<PreferencePair> Pairs() =>
    [
        TestPairs.Says("p1", "g1", "alg", ("x", "right"), ("y", "right"), ("z", "wrong"), ("w", "right")),
        TestPairs.Says("p2", "g1", "alg", ("x", "right"), ("y", "wrong"), ("z", "wrong"), ("w", "tie")),
        TestPairs.Says("p3", "g2", "geo", ("x", "right"), ("y", "tie"), ("z", "wrong")),
        TestPairs.Says("p4", "g2", "geo", ("x", "wrong"), ("y", "wrong"), ("z", "wrong"), ("w", "wrong")),
        TestPairs.Says("p5", "g3", null, ("x", "right"), ("y", "right"), ("z", "tie"), ("w", "tie")),
    ];

    [Fact]
    public void CountsAccuraciesAndTieRates()
    {
        var s = PairStatistics.Compute(Pairs());
        Assert.Equal((5, 3, 5, 0, 2), (s.Pairs, s.Groups, s.Labelled, s.PreferredB, s.Domains));
        Assert.Equal(["x", "y", "z", "w"], s.Rms.Select(r => r.Name));
        var w = s.Rms.Single(r => r.Name == "w");
        Assert.Equal((4, 1, 1, 2), (w.Judged, w.Missing, w.Right, w.Ties));
        Assert.Equal(1 / 5.0, w.Accuracy!.Value, 12); // a missing judgment is not right
        Assert.Equal(2 / 4.0, w.TieRate!.Value, 12);  // ties over pairs judged
        Assert.Equal(4 / 5.0, s.Rms[0].Accuracy!.Value, 12);
    }

    [Fact]
    public void PoolFiguresFollowTheirDefinitions()
    {
        var p = PairStatistics.Compute(Pairs()).Pool;
        Assert.Equal(["x", "y", "z", "w"], p.Names);
        Assert.Equal("x", p.BestSingle);
        Assert.Equal(4 / 5.0, p.BestSingleAccuracy!.Value, 12);
        Assert.Equal((1 + 0 + 0 + 0 + 0.5) / 5, p.Majority!.Value, 12);
        Assert.Equal((1 + 0 + 0.5 + 0 + 1) / 5, p.MajorityAbstain!.Value, 12);
        Assert.Equal(4 / 5.0, p.Oracle!.Value, 12);
        // x is right on p2, p3 where y is not; y is right nowhere that x is not
        Assert.Equal(2 / 5.0, p.Disagreement[0][1], 12);
        Assert.Equal(0.0, p.Disagreement[1][0], 12);
        Assert.Equal(4 / 5.0, p.Disagreement[0][2], 12);
        // hindsight: per domain alg {x: 2}, geo {x: 1}, none {x: 1} -> 4; per group the same
        Assert.Equal(4 / 5.0, p.BestPerDomain!.Value, 12);
        Assert.Equal(4 / 5.0, p.BestPerGroup!.Value, 12);
    }

    [Fact]
    public void HindsightPicksTheBestRmPerPart()
    {
        // y is better on domain d1, z on d2; overall they are equal
        var pairs = new List<PreferencePair>
        {
            TestPairs.Says("1", "g1", "d1", ("y", "right"), ("z", "wrong")),
            TestPairs.Says("2", "g1", "d1", ("y", "right"), ("z", "wrong")),
            TestPairs.Says("3", "g2", "d2", ("y", "wrong"), ("z", "right")),
            TestPairs.Says("4", "g3", "d2", ("y", "right"), ("z", "right")),
        };
        var s = PairStatistics.Compute(pairs, ["z", "y"]);
        Assert.Equal("y", s.Pool.BestSingle);
        Assert.Equal(3 / 4.0, s.Pool.BestSingleAccuracy!.Value, 12);
        Assert.Equal(1.0, s.Pool.BestPerDomain!.Value, 12);
        Assert.Equal(1.0, s.Pool.BestPerGroup!.Value, 12);
        Assert.Equal(["d1", "d2"], s.ByDomain.Select(d => d.Domain));
        Assert.Equal(("y", 1.0), (s.ByDomain[0].Best, s.ByDomain[0].BestAccuracy));
        Assert.Equal(0.5, s.ByDomain[1].Accuracy["y"], 12);
        Assert.Equal(1.0, s.ByDomain[1].Oracle, 12);
        Assert.Equal(0.75, s.ByDomain[1].Majority, 12); // pair 3: 1 of 2 right = 0.5, pair 4: 1
    }

    [Fact]
    public void PairsWithoutGroundTruthCountButDoNotScore()
    {
        var pairs = new List<PreferencePair> { TestPairs.Scored("1", null, ("a", 1, 1)), TestPairs.Scored("2", null, ("a", 2, 1)) };
        var s = PairStatistics.Compute(pairs);
        Assert.Equal((2, 0), (s.Pairs, s.Labelled));
        Assert.Null(s.Rms[0].Accuracy);
        Assert.Equal(0.5, s.Rms[0].TieRate!.Value, 12);
        Assert.Null(s.Pool.Majority);
        Assert.Null(s.Pool.Oracle);
        Assert.Contains("\"majority\":null", PairStatisticsJson.Format(s));
    }

    [Fact]
    public void UnknownOrRepeatedPoolNamesAreErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => PairStatistics.Compute(Pairs(), ["x", "nope"]));
        Assert.Contains("\"nope\"", e.Message);
        Assert.Contains("x, y, z, w", e.Message);
        Assert.Throws<ArgumentException>(() => PairStatistics.Compute(Pairs(), ["x", "x"]));
        Assert.Throws<ArgumentException>(() => PairStatistics.Compute(Pairs(), []));
    }

    [Fact]
    public void MajorityCreditOfAPairMatchesThePoolFigure()
    {
        var pairs = Pairs();
        string[] pool = ["x", "y", "z", "w"];
        double mean = pairs.Average(p => PairStatistics.MajorityCredit(p, pool));
        Assert.Equal(PairStatistics.Compute(pairs, pool).Pool.Majority!.Value, mean, 12);
        Assert.Equal(0.5, PairStatistics.MajorityCredit(1, 2));
        Assert.Equal(1.0, PairStatistics.MajorityCredit(2, 3));
        Assert.Equal(0.0, PairStatistics.MajorityCredit(1, 3));
    }

    [Fact]
    public void JsonHasTheDocumentedFields()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(PairStatisticsJson.Format(PairStatistics.Compute(Pairs(), ["y", "x"])));
        var root = doc.RootElement;
        Assert.Equal(5, root.GetProperty("pairs").GetInt32());
        Assert.Equal(3, root.GetProperty("groups").GetInt32());
        Assert.Equal(0.8, root.GetProperty("rms").GetProperty("x").GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(0.5, root.GetProperty("rms").GetProperty("w").GetProperty("ties").GetDouble(), 12);
        var pool = root.GetProperty("pool");
        Assert.Equal(["y", "x"], pool.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("x", pool.GetProperty("best_single").GetProperty("name").GetString());
        Assert.Equal(0.8, pool.GetProperty("best_single").GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(0.8, pool.GetProperty("oracle").GetDouble(), 12);
        Assert.Equal(0.4, pool.GetProperty("disagreement").GetProperty("x").GetProperty("y").GetDouble(), 12);
        Assert.True(pool.TryGetProperty("majority", out _));
        Assert.Equal(2, root.GetProperty("by_domain").GetProperty("alg").GetProperty("pairs").GetInt32());
    }
}
