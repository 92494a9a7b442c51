using BayesianRouter.Baselines;
using BayesianRouter.Core.Tests.Offline;
using BayesianRouter.Data;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;
using BayesianRouter.State;

namespace BayesianRouter.Experiments.Tests.Baselines;

/// <summary>
/// The baselines that get the router's information (issue 17): win-stay (per prompt), domain-greedy (per domain, the
/// offline counts as pseudo-counts) and best-single-train (the best RM of the training part).
/// </summary>
public class InformedBaselineTests
{
    private static readonly string[] Pool = ["a", "b", "c"];
    private static readonly double[] H = [0.3, 1];

    // the offline router's ranking: a, then b, then c
    private static double[] Ranking(double[] h) => [2, 1, 0];

    [Fact]
    public void Win_stay_keeps_the_RM_that_was_right_on_the_prompt_and_shifts_down_the_offline_ranking_after_a_wrong_label()
    {
        var r = new WinStayRouter(3, 2, Ranking);
        int Next(string prompt) => r.Select([r.Context(H, "d", prompt, intern: false)])[0].Arm;
        void Learn(string prompt, int arm, double reward) => r.Update([new ArmFeedback(r.Context(H, "d", prompt), arm, reward)]);

        Assert.Equal(0, Next("p"));                  // no memory: the offline router's pick
        Learn("p", 0, 0);                            // a was wrong on p
        Assert.Equal(1, Next("p"));                  // shift to the next RM of the ranking
        Assert.Equal(0, Next("q"));                  // other prompts keep the offline pick
        Learn("p", 1, 0.5);                          // exactly 1/2 says nothing
        Assert.Equal(1, Next("p"));
        Learn("p", 1, 0);
        Assert.Equal(2, Next("p"));
        Learn("p", 2, 0.9);                          // c right: stay with it
        Assert.Equal(2, Next("p"));
        Assert.Equal(2, r.Kept("p"));
        Learn("p", 2, 0.1);                          // c wrong now: a and b were wrong before it, so the offline pick
        Assert.Null(r.Kept("p"));
        Assert.Equal(0, Next("p"));
        Learn("p", 0, 1);                            // a right again: kept
        Assert.Equal(0, r.Kept("p"));
        Assert.Throws<ArgumentException>(() => r.Update([new ArmFeedback(r.Context(H, "d", "fresh", intern: false), 0, 1)]));
    }

    [Fact]
    public void Win_stay_resumes_from_a_checkpoint_with_its_memory()
    {
        var r = new WinStayRouter(3, 2, Ranking);
        r.Update([new ArmFeedback(r.Context(H, "d", "p"), 0, 0), new ArmFeedback(r.Context(H, "d", "q"), 2, 1)]);
        var path = Path.Combine(Path.GetTempPath(), "winstay-" + Guid.NewGuid().ToString("N") + ".ckpt");
        try
        {
            CheckpointFile.Save(path, r);
            var back = new WinStayRouter(3, 2, Ranking);
            CheckpointFile.Restore(path, back);
            var contexts = new[] { "p", "q", "new" }.Select(g => back.Context(H, "d", g, intern: false)).ToArray();
            Assert.Equal([1, 2, 0], back.Select(contexts).Select(d => d.Arm));
            Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(path, new WinStayRouter(4, 2, h => [3, 2, 1, 0])));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ArmAccuracies Offline()
    {
        // algebra: b right on 9 of 10, a on 6; geometry: a right on 8 of 10, b on 3; c never. Overall a 14/20, b 12/20.
        var pairs = new List<PreferencePair>();
        for (int i = 0; i < 10; i++)
        {
            pairs.Add(PairFactory.Pair($"al{i}", $"al{i}", "algebra", ("a", i < 6 ? 'a' : 'b'), ("b", i < 9 ? 'a' : 'b'), ("c", 'b')));
            pairs.Add(PairFactory.Pair($"ge{i}", $"ge{i}", "geometry", ("a", i < 8 ? 'a' : 'b'), ("b", i < 3 ? 'a' : 'b'), ("c", 'b')));
        }
        return ArmAccuracies.Of(pairs, Pool);
    }

    [Fact]
    public void Domain_greedy_starts_from_each_domains_offline_counts_and_follows_its_running_accuracy()
    {
        var r = new DomainGreedyRouter(3, 2, Offline());
        int Next(string? domain) => r.Select([r.Context(H, domain, "g")])[0].Arm;
        Assert.Equal(1, Next("algebra"));                        // 0.9 vs 0.6
        Assert.Equal(0, Next("geometry"));
        Assert.Equal(0, Next("topology"));                       // unseen offline: the overall accuracies (a 0.7, b 0.6)
        Assert.Equal(0, Next(null));                             // no domain: the best single RM of the offline part
        Assert.Equal([0.7, 0.6, 0], r.Estimates("topology"), (x, y) => Math.Abs(x - y) < 1e-12);

        // in topology a is wrong 4 times: (7 + 0) / (10 + 4) = 0.5 < b's 0.6 prior: greedy moves to b
        r.Update(Enumerable.Range(0, 4).Select(i => new ArmFeedback(r.Context(H, "topology", $"t{i}"), 0, 0)).ToArray());
        Assert.Equal(0.5, r.Estimates("topology")[0], 12);
        Assert.Equal(1, Next("topology"));
        // algebra's prior has 10 pairs of weight: 3 wrong labels of b leave it at 9 / 13 = 0.69 > a's 0.6
        r.Update(Enumerable.Range(0, 3).Select(i => new ArmFeedback(r.Context(H, "algebra", $"x{i}"), 1, 0)).ToArray());
        Assert.Equal(1, Next("algebra"));
        Assert.Equal(0, Next("geometry"));                       // learning in one domain does not move another

        var path = Path.Combine(Path.GetTempPath(), "greedy-" + Guid.NewGuid().ToString("N") + ".ckpt");
        try
        {
            CheckpointFile.Save(path, r);
            var back = new DomainGreedyRouter(3, 2, Offline());
            CheckpointFile.Restore(path, back);
            Assert.Equal(r.Estimates("topology"), back.Estimates("topology"));
            Assert.Equal(r.Estimates("algebra"), back.Estimates("algebra"));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<ArgumentException>(() => new DomainGreedyRouter(2, 2, Offline()));
    }

    [Fact]
    public void The_catalogue_builds_the_informed_baselines_from_the_training_parts_counts()
    {
        // h = [x, 1]; E_bt rows: a (1, 0), b (-1, 0.5), c (0, 0.2)
        var offline = new OfflineRouter(Pool, "enc", 1, 16, [], FusionActivation.Identity, 1, w: [1, 0], b: [0], ebt: [1, 0, -1, 0.5, 0, 0.2], ecls: new double[6]);
        IRouter? Build(string name, ArmAccuracies? training) =>
            MethodCatalogue.Router(MethodCatalogue.Parse(name, Pool, SimulationMethods.Variants), offline, 2, new BaselineRouterOptions(), _ => 1, training);

        Assert.Equal(0, Assert.IsType<FixedRouter>(Build("best-single-train", Offline())).Arm);
        Assert.IsType<DomainGreedyRouter>(Build("domain-greedy", Offline()));
        var winStay = Assert.IsType<WinStayRouter>(Build("win-stay", null));
        Assert.Equal(1, winStay.Select([winStay.Context([-0.9, 1], "d", "p")])[0].Arm);   // the offline router's pick (s = -0.9, 1.4, 0.2)
        Assert.Contains("accuracies on the training part", Assert.Throws<ArgumentException>(() => Build("best-single-train", null)).Message);
        Assert.Equal([MethodCatalogue.WinStay, MethodCatalogue.DomainGreedy, MethodCatalogue.BestSingleTrain], MethodCatalogue.InformedBaselines);
        Assert.All(MethodCatalogue.InformedBaselines, n => Assert.Equal(MethodKind.Router, MethodCatalogue.Parse(n, Pool, []).Kind));
    }
}
