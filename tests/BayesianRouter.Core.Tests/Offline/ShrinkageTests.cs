using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Core.Tests.Offline;

/// <summary>
/// Do no harm offline: the RMs' accuracies on labelled pairs, the offline router shrunk to the best single RM, and the
/// nested choice that shrinks it where its own validation part says it is not better (with the optimism of choosing
/// the best of several candidates on that part taken off).
/// </summary>
public class ShrinkageTests
{
    private static readonly string[] Pool = ["wide", "algebra", "never"];

    /// <summary>
    /// Groups of 3 pairs; "wide" is right on 70% of the groups, "algebra" on a share <paramref name="algebraSkill"/> of
    /// the algebra groups (all by default) and no geometry pair, "never" never, or, with <paramref name="neverWhereWideFails"/>,
    /// on the geometry groups where wide is wrong (all decided by a seeded generator, per group).
    /// </summary>
    private static List<PreferencePair> Pairs(int groups, int seed, double algebraSkill = 1, bool neverWhereWideFails = false)
    {
        var rng = new Random(seed);
        var list = new List<PreferencePair>();
        for (int g = 0; g < groups; g++)
        {
            string domain = g % 2 == 0 ? "algebra" : "geometry";
            bool wide = rng.NextDouble() < 0.7;
            bool algebra = domain == "algebra" && rng.NextDouble() < algebraSkill;
            bool never = neverWhereWideFails && domain == "geometry" && !wide;
            for (int k = 0; k < 3; k++)
                list.Add(PairFactory.Pair($"s{seed}-{g}-{k}", $"s{seed}-g{g}", domain,
                    ("wide", wide ? 'a' : 'b'), ("algebra", algebra ? 'a' : 'b'), ("never", never ? 'a' : 'b')));
        }
        return list;
    }

    private static PairEmbedding[] Embeddings(IReadOnlyList<PreferencePair> pairs) =>
        pairs.Select(_ => new PairEmbedding([0.6f, 0.8f], [0.8f, 0.6f])).ToArray();

    /// <summary>e = e' = [s, 0], s = 1 where "never" is right (what no per-domain table can see), else 0.</summary>
    private static PairEmbedding[] Telling(IReadOnlyList<PreferencePair> pairs) =>
        pairs.Select(p => p.IsRight("never") ? new PairEmbedding([1f, 0f], [1f, 0f]) : new PairEmbedding([0f, 0f], [0f, 0f])).ToArray();

    /// <summary>
    /// A router that reads <see cref="Telling"/> embeddings: h_0 = tanh(2 [algebra] - 2 [geometry]), h_1 = tanh(2 s)
    /// (x = [2s, 0, 0, 0, algebra, geometry]); algebra on algebra pairs, never where s = 1, wide on the other geometry pairs.
    /// </summary>
    private static OfflineRouter Seeing()
    {
        var w = new double[] { 0, 0, 0, 0, 2, -2, 1, 0, 0, 0, 0, 0 };
        // s_wide = -h_0, s_algebra = h_0, s_never = 3 h_1 - 1
        var ebt = new double[] { -1, 0, 0, 1, 0, 0, 0, 3, -1 };
        return new OfflineRouter(Pool, "enc", 2, 16, ["algebra", "geometry"], FusionActivation.Tanh, 2, w, new double[2], ebt, (double[])ebt.Clone());
    }

    /// <summary>
    /// A router on domains [algebra, geometry] (h = [tanh(W x); 1], d = 2, h_0 = tanh(2) on algebra, tanh(-2) on
    /// geometry) whose BT scores are <paramref name="onAlgebra"/> per RM on algebra pairs and <paramref name="onGeometry"/> on geometry pairs.
    /// </summary>
    private static OfflineRouter Router(double[] onAlgebra, double[] onGeometry)
    {
        // x = [e + e'; |e - e'|; onehot(domain)]: 2 * 2 + 2 inputs; h_0 = tanh(2 [algebra] - 2 [geometry]), h_1 = 0
        var w = new double[] { 0, 0, 0, 0, 2, -2, 0, 0, 0, 0, 0, 0 };
        double t = Math.Tanh(2);
        var ebt = new double[3 * 3];
        for (int n = 0; n < 3; n++)
        {
            // s_n = a_n h_0 + c_n: onAlgebra at h_0 = t, onGeometry at h_0 = -t
            ebt[n * 3] = (onAlgebra[n] - onGeometry[n]) / (2 * t);
            ebt[n * 3 + 2] = (onAlgebra[n] + onGeometry[n]) / 2;
        }
        return new OfflineRouter(Pool, "enc", 2, 16, ["algebra", "geometry"], FusionActivation.Tanh, 2, w, new double[2], ebt, (double[])ebt.Clone());
    }

    private static readonly PairEmbedding Emb = new([0.6f, 0.8f], [0.8f, 0.6f]);

    [Fact]
    public void Accuracies_count_right_labels_overall_and_per_domain()
    {
        var pairs = new List<PreferencePair>
        {
            PairFactory.Pair("1", "g1", "algebra", ("wide", 'a'), ("algebra", 'a')),
            PairFactory.Pair("2", "g1", "algebra", ("wide", 'b'), ("algebra", 'a')),
            PairFactory.Pair("3", "g2", null, ("wide", 'a'), ("algebra", 't')),
            PairFactory.Pair("4", "g3", "geometry", ("wide", 'a')),
            new() { Id = "5", Group = "g4", Prompt = "no truth", Judgments = new Dictionary<string, Judgment> { ["wide"] = Judgment.FromScores(1, 0) } },
        };
        var acc = ArmAccuracies.Of(pairs, Pool);
        Assert.Equal(4, acc.Pairs);                            // the pair without a ground truth is not counted
        Assert.Equal([3, 2, 0], acc.Right);                    // a tie or a missing judgment is not right
        Assert.Equal(0, acc.Best);
        Assert.Equal(0.75, acc.Accuracy(0));
        Assert.Equal([1, 2, 0], acc.InDomain("algebra")!.Value.Right);
        Assert.Equal(2, acc.InDomain("algebra")!.Value.Pairs);
        Assert.Equal(1, acc.InDomain(null)!.Value.Pairs);
        Assert.Null(acc.InDomain("topology"));
        Assert.Equal(1, ArmAccuracies.Of(pairs.Take(2), Pool).Best);   // ties: the lowest index; here algebra leads
    }

    [Fact]
    public void A_shrunk_router_routes_every_pair_to_the_best_single_RM_and_scores_each_RM_by_its_accuracy()
    {
        var router = Router(onAlgebra: [0, 1, -1], onGeometry: [1, 0, -1]);
        Assert.Equal(1, router.Choose(router.Features(Emb, "algebra")));
        Assert.Equal(0, router.Choose(router.Features(Emb, "geometry")));

        var acc = ArmAccuracies.Of(Pairs(40, 1), Pool);
        var shrunk = router.ShrinkToSingle(acc);
        Assert.Equal("wide", Pool[acc.Best]);
        Assert.Equal("wide", shrunk.ShrunkTo);
        Assert.Null(router.ShrunkTo);
        foreach (var domain in new[] { "algebra", "geometry", "unseen" })
        {
            var h = shrunk.Features(Emb, domain);
            Assert.Equal(router.Features(Emb, domain), h);         // the pair features are kept
            Assert.Equal(0, shrunk.Choose(h));
            var s = shrunk.BtScores(h);
            for (int n = 0; n < 3; n++)
            {
                double p = Math.Clamp(acc.Accuracy(n), 0.01, 0.99);
                Assert.Equal(Math.Log(p / (1 - p)), s[n], 12);
            }
            Assert.Equal(s, shrunk.ClsLogits(h));
        }
        var back = OfflineRouter.FromBytes(shrunk.ToBytes());
        Assert.Equal("wide", back.ShrunkTo);
        Assert.Equal(shrunk.Ebt, back.Ebt);
        Assert.Throws<ArgumentException>(() => router.ShrinkToSingle(ArmAccuracies.Of(Pairs(4, 1), ["wide", "algebra"])));
    }

    /// <summary>Returns the given routers in turn (one per candidate, then the retrained one), whatever the data.</summary>
    private sealed class ScriptedTrainer(params OfflineRouter[] routers) : IOfflineRouterTrainer
    {
        private int _next;

        public OfflineRouter Train(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings, IReadOnlyList<string> pool,
            OfflineTrainingOptions options, IProgress<string>? progress = null) => routers[Math.Min(_next++, routers.Length - 1)];
    }

    [Fact]
    public void The_nested_choice_keeps_a_router_that_is_credibly_better_on_its_validation_part_and_shrinks_one_that_is_not()
    {
        var pairs = Pairs(200, 2);
        var emb = Embeddings(pairs);
        // per domain the best RM: algebra on algebra (1.0), wide on geometry (0.7): better than wide alone (0.7)
        var good = Router(onAlgebra: [0, 1, -1], onGeometry: [1, 0, -1]);
        var kept = NestedSelection.Run(new ScriptedTrainer(good), pairs, emb, Pool, [new OfflineTrainingOptions()], SplitKind.Group, 0.25, seed: 3);
        // it routes exactly as the per-domain table does, and both are credible: on a tie the table (fewer parameters)
        Assert.Equal(OfflineIncumbent.DomainTable, kept.Incumbent);
        Assert.Equal(kept.Router.Metadata["nested.validation_accuracy"], kept.Router.Metadata["nested.table_validation_accuracy"]);
        Assert.False(kept.Shrunk);
        Assert.Null(kept.Router.ShrunkTo);
        Assert.Equal("wide", kept.Router.Metadata["nested.single_rm"]);
        Assert.Equal("0", kept.Router.Metadata["nested.selection_optimism"]);   // one candidate: nothing to correct
        Assert.True(double.Parse(kept.Router.Metadata["nested.router_advantage_lower95"], System.Globalization.CultureInfo.InvariantCulture) > 0);

        // on a validation part of a few groups the same router's advantage is not credible: shrunk
        var few = Pairs(12, 5);
        var unsure = NestedSelection.Run(new ScriptedTrainer(good), few, Embeddings(few), Pool, [new OfflineTrainingOptions()], SplitKind.Group, 0.25, seed: 3);
        Assert.True(unsure.Shrunk);

        // algebra everywhere: 0.5 on the validation part, below wide's 0.7; and the algebra RM right on only 40% of the
        // algebra groups, so the per-domain table is wide in both domains: no better than wide. Shrunk.
        var bad = Router(onAlgebra: [0, 1, -1], onGeometry: [0, 1, -1]);
        pairs = Pairs(200, 2, algebraSkill: 0.4);
        emb = Embeddings(pairs);
        var shrunk = NestedSelection.Run(new ScriptedTrainer(bad), pairs, emb, Pool, [new OfflineTrainingOptions()], SplitKind.Group, 0.25, seed: 3);
        Assert.Equal(OfflineIncumbent.BestSingle, shrunk.Incumbent);
        Assert.Equal("best-single", shrunk.Router.Metadata["nested.incumbent"]);
        Assert.Equal("0", shrunk.Router.Metadata["nested.table_advantage"]);   // the table routes as wide does
        Assert.True(shrunk.Shrunk);
        Assert.Equal("wide", shrunk.Router.ShrunkTo);
        Assert.Equal("wide", shrunk.NestedRouter!.ShrunkTo);                   // the validation replay sees what the stream will
        Assert.All(pairs, p => Assert.Equal(0, shrunk.Router.Choose(shrunk.Router.Features(Emb, p.Domain))));
        // the calibration was fitted for the shrunk router: its prediction for wide is close to wide's accuracy there
        double f = shrunk.Calibration.Probabilities(shrunk.NestedRouter.BtScores(shrunk.NestedRouter.Features(Emb, "algebra")))[0];
        Assert.InRange(f, 0.55, 0.85);

        // the option turns it off: the neural router, no table
        var off = NestedSelection.Run(new ScriptedTrainer(bad), pairs, emb, Pool, [new OfflineTrainingOptions { ShrinkToBestSingle = false }], SplitKind.Group, 0.25, seed: 3);
        Assert.False(off.Shrunk);
        Assert.Equal(OfflineIncumbent.Router, off.Incumbent);
        Assert.Null(off.Router.DomainTablePicks);
        Assert.False(off.Router.Metadata.ContainsKey("nested.table_advantage"));
    }

    [Fact]
    public void A_router_no_better_than_the_best_single_RM_gives_way_to_the_per_domain_table_where_that_is_credibly_better()
    {
        // algebra everywhere (0.5 on the validation part) is not credible; the table (algebra on algebra, wide on
        // geometry: about 0.85) is. The artifact, and the nested router the calibration and replays use, route by it.
        var pairs = Pairs(200, 2);
        var emb = Embeddings(pairs);
        var bad = Router(onAlgebra: [0, 1, -1], onGeometry: [0, 1, -1]);
        var progress = new List<string>();
        var run = NestedSelection.Run(new ScriptedTrainer(bad), pairs, emb, Pool, [new OfflineTrainingOptions()], SplitKind.Group, 0.25, seed: 3,
            new InlineProgress(progress.Add));
        Assert.Equal(OfflineIncumbent.DomainTable, run.Incumbent);
        Assert.False(run.Shrunk);
        Assert.Equal("domain-table", run.Router.Metadata["nested.incumbent"]);
        Assert.Equal(new Dictionary<string, string> { ["algebra"] = "algebra", ["geometry"] = "wide" }, run.Router.DomainTablePicks);
        Assert.True(double.Parse(run.Router.Metadata["nested.table_advantage_lower95"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(double.Parse(run.Router.Metadata["nested.router_advantage_lower95"], System.Globalization.CultureInfo.InvariantCulture) < 0);
        Assert.Contains(progress, m => m.Contains("the incumbent is the table", StringComparison.Ordinal));
        foreach (var r in new[] { run.Router, run.NestedRouter! })
        {
            Assert.Equal(1, r.Choose(r.Features(Emb, "algebra")));
            Assert.Equal(0, r.Choose(r.Features(Emb, "geometry")));
            Assert.Equal(0, r.Choose(r.Features(Emb, "topology")));       // a domain the offline side never saw: the best single RM
        }
        // the calibration was fitted for the table: its prediction for the algebra RM on algebra pairs is high, on geometry low
        var cal = run.Calibration;
        var nested = run.NestedRouter!;
        Assert.True(cal.Probabilities(nested.BtScores(nested.Features(Emb, "algebra")))[1] > cal.Probabilities(nested.BtScores(nested.Features(Emb, "geometry")))[1] + 0.3);
    }

    [Fact]
    public void A_router_that_sees_more_than_the_domain_is_kept_over_the_table_when_both_are_credible()
    {
        // where wide fails on geometry, never is right, and only the embedding says so: the router (1.0) beats the table
        // (algebra on algebra, wide on geometry: about 0.85), and both beat wide (0.7) credibly
        var pairs = Pairs(200, 2, neverWhereWideFails: true);
        var run = NestedSelection.Run(new ScriptedTrainer(Seeing()), pairs, Telling(pairs), Pool, [new OfflineTrainingOptions()], SplitKind.Group, 0.25, seed: 3);
        Assert.Equal(OfflineIncumbent.Router, run.Incumbent);
        Assert.Equal("router", run.Router.Metadata["nested.incumbent"]);
        Assert.Equal(1.0, double.Parse(run.Router.Metadata["nested.validation_accuracy"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(double.Parse(run.Router.Metadata["nested.table_advantage_lower95"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Null(run.Router.DomainTablePicks);
        Assert.Null(run.Router.ShrunkTo);
    }

    [Fact]
    public void The_incumbent_rule_takes_a_credible_candidate_over_the_fallback_and_the_better_of_two()
    {
        // (router's corrected validation accuracy, its lower bound, the table's accuracy and lower bound)
        Assert.Equal(OfflineIncumbent.BestSingle, NestedSelection.ChooseIncumbent(0.9, -0.01, (0.95, 0.0)));   // a bound of 0 is not above zero
        Assert.Equal(OfflineIncumbent.BestSingle, NestedSelection.ChooseIncumbent(0.9, -0.01, null));
        Assert.Equal(OfflineIncumbent.Router, NestedSelection.ChooseIncumbent(0.7, 0.001, (0.95, -0.2)));      // only the router is credible
        Assert.Equal(OfflineIncumbent.Router, NestedSelection.ChooseIncumbent(0.7, 0.001, null));
        Assert.Equal(OfflineIncumbent.DomainTable, NestedSelection.ChooseIncumbent(0.99, -0.001, (0.71, 0.002)));
        Assert.Equal(OfflineIncumbent.Router, NestedSelection.ChooseIncumbent(0.81, 0.01, (0.80, 0.02)));      // both: the higher corrected accuracy
        Assert.Equal(OfflineIncumbent.DomainTable, NestedSelection.ChooseIncumbent(0.79, 0.03, (0.80, 0.02)));
        Assert.Equal(OfflineIncumbent.DomainTable, NestedSelection.ChooseIncumbent(0.80, 0.03, (0.80, 0.02))); // a tie: the table
        Assert.Equal(["router", "domain-table", "best-single"],
            new[] { OfflineIncumbent.Router, OfflineIncumbent.DomainTable, OfflineIncumbent.BestSingle }.Select(NestedSelection.IncumbentName));
    }

    private sealed class InlineProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    [Fact]
    public void The_routers_advantage_is_credible_only_beyond_its_cluster_robust_noise()
    {
        // 4 clusters of 5 pairs; the router is right where the RM is, and on 2 more pairs in every cluster
        bool[] single = Enumerable.Range(0, 20).Select(j => j % 5 < 2).ToArray();
        bool[] router = Enumerable.Range(0, 20).Select(j => j % 5 < 4).ToArray();
        var clusters = Enumerable.Range(0, 20).Select(j => $"c{j / 5}").ToArray();
        var (mean, lower, c) = NestedSelection.Advantage(router, single, clusters);
        Assert.Equal((0.4, 4), (mean, c));
        Assert.Equal(0.4, lower, 12);                       // the same advantage in every cluster: no spread
        Assert.Equal(0.3, NestedSelection.Advantage(router, single, clusters, optimism: 0.1).Lower, 12);
        // the advantage in one cluster only: mean 0.1, T = (2, 0, 0, 0), se = sqrt(4/3 * (1.5^2 + 3 * 0.5^2)) / 20
        bool[] lucky = Enumerable.Range(0, 20).Select(j => j % 5 < 2 || (j < 5 && j % 5 < 4)).ToArray();
        var (m2, l2, _) = NestedSelection.Advantage(lucky, single, clusters);
        Assert.Equal(0.1, m2, 12);
        Assert.Equal(0.1 - 2.3534 * Math.Sqrt(4.0 / 3 * (2.25 + 3 * 0.25)) / 20, l2, 12);
        Assert.True(l2 < 0);
        // one cluster: nothing says how much the advantage varies between clusters
        Assert.Equal(double.NegativeInfinity, NestedSelection.Advantage(router, single, clusters.Select(_ => "one").ToArray()).Lower);
        Assert.Equal(1.6973, NestedSelection.StudentT95(30));
        Assert.Equal(1.6839, NestedSelection.StudentT95(40), 3);
    }

    [Fact]
    public void The_optimism_of_choosing_the_best_candidate_is_zero_without_a_choice_and_grows_with_equal_noisy_candidates()
    {
        var groups = Enumerable.Range(0, 120).Select(g => $"g{g / 3}").ToArray();   // 40 groups of 3 pairs
        var rng = new Random(4);
        bool[] Coin(double p) => groups.Select(_ => rng.NextDouble() < p).ToArray();
        Assert.Equal(0, NestedSelection.SelectionOptimism([Coin(0.7)], groups, 1));
        var same = Coin(0.7);
        Assert.Equal(0, NestedSelection.SelectionOptimism([same, same, same], groups, 1), 12);
        // six candidates of the same true accuracy, each right on its own coin: the best looks better than it is
        var equal = Enumerable.Range(0, 6).Select(_ => Coin(0.7)).ToList();
        double optimism = NestedSelection.SelectionOptimism(equal, groups, 1);
        Assert.InRange(optimism, 0.01, 0.08);
        // one candidate far ahead is chosen on every resample: (almost) nothing to correct
        var dominant = new List<bool[]> { Coin(0.95), Coin(0.5), Coin(0.5) };
        Assert.InRange(NestedSelection.SelectionOptimism(dominant, groups, 1), 0, 0.005);
        Assert.Equal(optimism, NestedSelection.SelectionOptimism(equal, groups, 1));   // seeded
    }
}
