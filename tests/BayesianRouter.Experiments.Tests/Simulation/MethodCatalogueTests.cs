using BayesianRouter.Baselines;
using BayesianRouter.Data;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;

namespace BayesianRouter.Experiments.Tests.Simulation;

/// <summary>The catalogue of methods that <c>simulate</c> and <c>align</c> share: names, parsing, routers, votes.</summary>
public class MethodCatalogueTests
{
    private static readonly string[] Pool = ["a", "b", "c"];

    private static readonly MethodVariants[] Variants =
    [
        new(MethodCatalogue.TsNoOffline, ["full-advantage"], "reward variant"),
        new(MethodCatalogue.WeightedScore, [], "alpha") { AnyUnitNumber = true },
    ];

    /// <summary>h = [e + e', 1]; E_bt rows (1, 0), (-1, 0.5), (0, 0.2).</summary>
    private static OfflineRouter Offline() => new(Pool, "enc", 1, 16, [], FusionActivation.Identity, 1,
        w: [1, 0], b: [0], ebt: [1, 0, -1, 0.5, 0, 0.2], ecls: new double[6]);

    [Fact]
    public void Table1FollowsThePapersRowOrderAndEveryNameParses()
    {
        var names = MethodCatalogue.Table1(Pool);
        Assert.Equal(["single:a", "single:b", "single:c", "majority", "random", "uwo", "laser", "ts-no-offline", "offline-only", "bayesian-router", "oracle"], names);
        var parsed = names.Select(n => MethodCatalogue.Parse(n, Pool, Variants)).ToArray();
        Assert.Equal([MethodKind.Single, MethodKind.Single, MethodKind.Single, MethodKind.Ensemble, MethodKind.Router, MethodKind.Ensemble,
            MethodKind.Router, MethodKind.Router, MethodKind.Router, MethodKind.Router, MethodKind.Oracle], parsed.Select(p => p.Kind));
        Assert.Equal(1, parsed[1].Arm);
        var v = MethodCatalogue.Parse("ts-no-offline:full-advantage", Pool, Variants);
        Assert.Equal(("ts-no-offline", "full-advantage"), (v.Base, v.Variant));
        Assert.Equal("0.25", MethodCatalogue.Parse("weighted-score:0.25", Pool, Variants).Variant);
    }

    [Theory]
    [InlineData("single:z", "not in the pool")]
    [InlineData("single", "not in the pool")]
    [InlineData("nope", "is unknown")]
    [InlineData("random:full-advantage", "only ts-no-offline and weighted-score take one")]
    [InlineData("ts-no-offline:fast", "reward variant: full-advantage")]
    [InlineData("weighted-score:2", "a number in [0, 1]")]
    [InlineData("weighted-score", "needs its alpha")]
    public void BadNamesAreClearErrors(string name, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => MethodCatalogue.Parse(name, Pool, Variants)).Message);

    [Fact]
    public void ValidateRefusesAnEmptyListAndDuplicates()
    {
        Assert.Contains("no method", Assert.Throws<ArgumentException>(() => MethodCatalogue.Validate([], Pool, Variants)).Message);
        Assert.Contains("random twice", Assert.Throws<ArgumentException>(() => MethodCatalogue.Validate(["random", "uwo", "random"], Pool, Variants)).Message);
        // a weighted-score that no command offers is unknown there
        Assert.Contains("is unknown", Assert.Throws<ArgumentException>(() => MethodCatalogue.Parse("weighted-score:0.5", Pool, [])).Message);
    }

    [Fact]
    public void RoutersAreBuiltOnTheFeaturesTheyRead()
    {
        var offline = Offline();
        var o = new BaselineRouterOptions();
        var seeds = new List<string>();
        long Seed(string purpose) { seeds.Add(purpose); return purpose.Length; }
        IRouter? Build(string name, int baseline = 2) => MethodCatalogue.Router(MethodCatalogue.Parse(name, Pool, Variants), offline, baseline, o, Seed);

        Assert.Equal(1, Assert.IsType<FixedRouter>(Build("single:b")).Arm);
        Assert.Equal(0, Build("random")!.Dimension); // routers that ignore features never make anyone compute them
        Assert.Equal(7, Build("laser", baseline: 7)!.Dimension);
        var ts = Assert.IsType<ThompsonSamplingRouter>(Build("ts-no-offline:full-advantage", baseline: 7));
        Assert.Equal((7, 1.0), (ts.Dimension, ts.Options.PriorVariance));
        Assert.Null(ts.Options.PriorMean);
        Assert.Contains("ts-no-offline:full-advantage", seeds); // each variant draws from its own generator
        var greedy = Assert.IsType<OfflineGreedyRouter>(Build("offline-only"));
        double[] h = [0.9, 1]; // s = (0.9, -0.4, 0.2): a
        Assert.Equal(0, greedy.Select([h])[0].Arm);
        Assert.Equal(1, greedy.Select([new double[] { -0.9, 1 }])[0].Arm); // s = (-0.9, 1.4, 0.2): b
        Assert.Equal(0.25, Assert.IsType<WeightedScoreRouter>(Build("weighted-score:0.25")).Options.Alpha);
        Assert.Null(Build("majority"));
        Assert.Null(Build("oracle"));
        Assert.Null(Build("bayesian-router"));
    }

    [Fact]
    public void EnsemblesVoteAndUwoWeighsByAgreement()
    {
        long Seed(string _) => 3;
        var majority = MethodCatalogue.Aggregator(MethodCatalogue.Parse("majority", Pool, Variants), Seed)!;
        var uwo = MethodCatalogue.Aggregator(MethodCatalogue.Parse("uwo", Pool, Variants), Seed)!;
        var votes = new[] { Preference.B, Preference.B, Preference.A };
        Assert.Equal((Preference.B, 1.0), (majority(votes).Label, majority(votes).Weight));
        Assert.Equal(Preference.B, uwo(votes).Label);
        Assert.Equal(2.0 / 3, uwo(votes).Weight, 12);
        Assert.Null(MethodCatalogue.Aggregator(MethodCatalogue.Parse("random", Pool, Variants), Seed));
    }
}
