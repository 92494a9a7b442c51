using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Core.Tests.Offline;

/// <summary>
/// The per-domain incumbent (issue 17, second pass): the empirical-Bayes table of the best RM per domain, and its
/// encoding in an offline artifact (fusing-layer rows that read the domain one-hot, heads that read them), which every
/// consumer of router.bin routes by.
/// </summary>
public class DomainTableTests
{
    private static readonly string[] Pool = ["wide", "algebra", "never"];

    /// <summary>
    /// 10 algebra pairs (wide right on 6, algebra on 9), 4 geometry pairs (wide right on 3, algebra on 1), 2 pairs without
    /// a domain (wide right on both): wide 11/16 overall, algebra 10/16, never 0.
    /// </summary>
    private static List<PreferencePair> Counted()
    {
        var list = new List<PreferencePair>();
        for (int i = 0; i < 10; i++)
            list.Add(PairFactory.Pair($"a{i}", $"ga{i}", "algebra", ("wide", i < 6 ? 'a' : 'b'), ("algebra", i < 9 ? 'a' : 'b'), ("never", 'b')));
        for (int i = 0; i < 4; i++)
            list.Add(PairFactory.Pair($"g{i}", $"gg{i}", "geometry", ("wide", i < 3 ? 'a' : 'b'), ("algebra", i < 1 ? 'a' : 'b'), ("never", 'b')));
        for (int i = 0; i < 2; i++)
            list.Add(PairFactory.Pair($"n{i}", $"gn{i}", null, ("wide", 'a'), ("algebra", 'b'), ("never", 'b')));
        return list;
    }

    [Fact]
    public void Each_domains_accuracies_are_its_counts_shrunk_towards_the_RMs_overall_accuracy()
    {
        var counts = ArmAccuracies.Of(Counted(), Pool);
        var table = DomainTable.Of(counts, ["algebra", "geometry", "topology"], pseudoPairs: 10);
        Assert.Equal(11 / 16.0, table.OverallAccuracy(0), 12);
        // p_nd = (R_nd + k p_n) / (N_d + k)
        Assert.Equal((6 + 10 * 11 / 16.0) / 20, table.Accuracy("algebra", 0), 12);
        Assert.Equal((9 + 10 * 10 / 16.0) / 20, table.Accuracy("algebra", 1), 12);
        Assert.Equal((3 + 10 * 11 / 16.0) / 14, table.Accuracy("geometry", 0), 12);
        Assert.Equal((1 + 10 * 10 / 16.0) / 14, table.Accuracy("geometry", 1), 12);
        Assert.Equal(0, table.Accuracy("geometry", 2));
        // a domain without pairs, no domain, and a name outside the table: the overall accuracy
        Assert.Equal(10 / 16.0, table.Accuracy("topology", 1), 12);
        Assert.Equal(10 / 16.0, table.Accuracy(null, 1), 12);
        Assert.Equal(10 / 16.0, table.Accuracy("optics", 1), 12);
        Assert.Equal(1, table.Choose("algebra"));    // 0.7625 vs 0.6438
        Assert.Equal(0, table.Choose("geometry"));   // 0.7054 vs 0.5179
        Assert.Equal(0, table.Choose("topology"));   // the best single RM
        Assert.Equal(0, table.Choose(null));
        // the scores are log-odds, clamped like a shrunk router's: never (0 right) sits at logit(0.01)
        Assert.Equal(Math.Log(0.01 / 0.99), table.Scores("algebra")[2], 12);
        Assert.Equal(DomainTable.Logit(table.Accuracy("algebra", 1)), table.Scores("algebra")[1], 12);

        // the pseudo-count decides how much a small domain's counts weigh: with 1000 pseudo-pairs the algebra counts
        // no longer overturn wide's overall lead, with 0.001 the table is the raw per-domain accuracy
        Assert.Equal(0, DomainTable.Of(counts, ["algebra"], pseudoPairs: 1000).Choose("algebra"));
        Assert.Equal(0.9, DomainTable.Of(counts, ["algebra"], pseudoPairs: 0.001).Accuracy("algebra", 1), 3);
        Assert.Equal(DomainTable.DefaultPseudoPairs, DomainTable.Of(counts, ["algebra"]).PseudoPairs);
        Assert.Throws<ArgumentOutOfRangeException>(() => DomainTable.Of(counts, ["algebra"], pseudoPairs: 0));
        Assert.Throws<ArgumentException>(() => DomainTable.Of(counts, ["algebra", "algebra"]));
    }

    /// <summary>A router on [algebra, geometry] with seeded random weights (d = 3) that routes by h.</summary>
    private static OfflineRouter Neural(FusionActivation activation, int seed = 1)
    {
        var rng = new Random(seed);
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        const int fused = 3, input = 2 * 2 + 2;
        return new OfflineRouter(Pool, "enc", 2, 16, ["algebra", "geometry"], activation, fused,
            Values(fused * input), Values(fused), Values(3 * (fused + 1)), Values(3 * (fused + 1)),
            new Dictionary<string, string> { ["offline.shrunk_to"] = "algebra", ["kept"] = "yes" });
    }

    private static readonly PairEmbedding[] Embeddings =
    [
        new([0.6f, 0.8f], [0.8f, 0.6f]), new([-1f, 0.2f], [0.3f, 0.9f]), new([0.1f, -0.5f], [-0.7f, 0.4f]),
    ];

    [Theory]
    [InlineData(FusionActivation.Tanh)]
    [InlineData(FusionActivation.Relu)]
    [InlineData(FusionActivation.Identity)]
    public void An_artifact_with_the_table_routes_every_pair_by_its_domain_and_scores_each_RM_by_the_tables_log_odds(FusionActivation activation)
    {
        var neural = Neural(activation);
        var table = DomainTable.Of(ArmAccuracies.Of(Counted(), Pool), neural.Domains);
        var routed = neural.WithDomainTable(table);
        Assert.Equal(neural.FusedDimension + 2, routed.FusedDimension);
        Assert.Equal(neural.InputDimension, routed.InputDimension);
        // the neural router itself does not route like the table everywhere (so the test can fail)
        Assert.Contains(Embeddings.SelectMany(e => new[] { "algebra", "geometry" }.Select(d => (e, d))),
            x => neural.Choose(neural.Features(x.e, x.d)) != table.Choose(x.d));
        foreach (var e in Embeddings)
            foreach (var domain in new[] { "algebra", "geometry", "optics", null })
            {
                var h = routed.Features(e, domain);
                Assert.Equal(neural.Features(e, domain)[..neural.FusedDimension], h[..neural.FusedDimension]);   // h still describes the pair
                Assert.Equal(table.Choose(domain), routed.Choose(h));
                var s = routed.BtScores(h);
                for (int n = 0; n < Pool.Length; n++) Assert.Equal(table.Scores(domain)[n], s[n], 12);
                Assert.Equal(s, routed.ClsLogits(h));
            }
        // unknown domain and no domain: exactly the scores of the router shrunk to the best single RM
        var shrunk = neural.ShrinkToSingle(ArmAccuracies.Of(Counted(), Pool));
        Assert.Equal(shrunk.BtScores(shrunk.Features(Embeddings[0], "optics")), routed.BtScores(routed.Features(Embeddings[0], "optics")));

        Assert.Equal(new Dictionary<string, string> { ["algebra"] = "algebra", ["geometry"] = "wide" }, routed.DomainTablePicks);
        Assert.Equal("10", routed.Metadata[OfflineRouter.DomainTablePseudoPairsKey]);
        Assert.Null(routed.ShrunkTo);                  // a table router is not shrunk to one RM
        Assert.Equal("yes", routed.Metadata["kept"]);
        Assert.Null(neural.DomainTablePicks);
        Assert.Null(routed.ShrinkToSingle(ArmAccuracies.Of(Counted(), Pool)).DomainTablePicks);   // shrinking drops the table
    }

    [Fact]
    public void The_table_survives_save_and_load_and_routes_the_same_afterwards()
    {
        var routed = Neural(FusionActivation.Tanh).WithDomainTable(DomainTable.Of(ArmAccuracies.Of(Counted(), Pool), ["algebra", "geometry"]));
        var path = Path.Combine(Path.GetTempPath(), "br-table-" + Guid.NewGuid().ToString("N")[..8] + ".bin");
        try
        {
            routed.Save(path);
            var back = OfflineRouter.Load(path);
            Assert.Equal(routed.ToBytes(), back.ToBytes());
            Assert.Equal(routed.DomainTablePicks, back.DomainTablePicks);
            foreach (var domain in new[] { "algebra", "geometry", "optics" })
                Assert.Equal(routed.BtScores(routed.Features(Embeddings[1], domain)), back.BtScores(back.Features(Embeddings[1], domain)));
            Assert.Equal([1, 0, 0], back.Route(Embeddings, [
                PairFactory.Pair("1", "g", "algebra"), PairFactory.Pair("2", "g", "geometry"), PairFactory.Pair("3", "g", null)]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_table_needs_a_router_that_reads_domains_and_the_same_pool()
    {
        var table = DomainTable.Of(ArmAccuracies.Of(Counted(), Pool), ["algebra"]);
        var noDomains = new OfflineRouter(Pool, "enc", 2, 16, [], FusionActivation.Tanh, 1, new double[4], new double[1], new double[6], new double[6]);
        Assert.Contains("reads no domain", Assert.Throws<ArgumentException>(() => noDomains.WithDomainTable(table)).Message);
        var other = DomainTable.Of(ArmAccuracies.Of(Counted(), ["wide", "algebra"]), ["algebra"]);
        Assert.Throws<ArgumentException>(() => Neural(FusionActivation.Tanh).WithDomainTable(other));
    }
}
