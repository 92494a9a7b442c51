using BayesianRouter.Baselines;
using BayesianRouter.Routing;
using BayesianRouter.State;
using static BayesianRouter.Core.Tests.Routing.RoutingTestData;

namespace BayesianRouter.Experiments.Tests.Routing;

public class InvalidInputTests
{
    private const int D = 4, Arms = 3;

    public static TheoryData<string> Routers => ["ts", "linucb", "laser", "weighted", "random"];

    private static IRouter Make(string kind) => kind switch
    {
        "ts" => new ThompsonSamplingRouter(Arms, D, new ThompsonSamplingOptions { Seed = 1, MonteCarloDraws = 10 }),
        "linucb" => new LinUcbRouter(Arms, D),
        "laser" => new LaserRouter(Arms, D),
        "weighted" => new WeightedScoreRouter(Arms, D, h => [h[0], h[1], h[2]], new WeightedScoreOptions { Online = new() { Seed = 2 } }),
        "random" => new RandomRouter(Arms, seed: 3, dimension: D),
        _ => throw new ArgumentException(kind),
    };

    private static byte[] State(IRouter r) => CheckpointFile.ToBytes((ICheckpointable)r);

    public static TheoryData<string, string> BadFeedback => new()
    {
        { "ts", "nan-reward" }, { "ts", "inf-feature" }, { "ts", "wrong-dimension" }, { "ts", "unknown-arm" }, { "ts", "negative-arm" },
        { "linucb", "nan-reward" }, { "linucb", "wrong-dimension" }, { "laser", "unknown-arm" }, { "laser", "inf-feature" },
        { "weighted", "nan-reward" }, { "weighted", "unknown-arm" },
    };

    [Theory]
    [MemberData(nameof(BadFeedback))]
    public void InvalidFeedbackRaisesAClearErrorAndLeavesTheStateUntouched(string kind, string fault)
    {
        var router = Make(kind);
        var rng = new SeededRandom(4);
        router.Update(Feedback(rng, Contexts(rng, 6, D), Arms));
        var before = State(router);
        var feedback = Feedback(rng, Contexts(rng, 6, D), Arms);
        // The bad item is the last one: earlier valid items must not have been applied either.
        var last = feedback[^1];
        feedback[^1] = fault switch
        {
            "nan-reward" => last with { Reward = double.NaN },
            "inf-feature" => last with { Context = [1, double.PositiveInfinity, 0, 0] },
            "wrong-dimension" => last with { Context = [1, 2] },
            "unknown-arm" => last with { Arm = Arms },
            "negative-arm" => last with { Arm = -1 },
            _ => throw new ArgumentException(fault),
        };
        var e = Assert.ThrowsAny<ArgumentException>(() => router.Update(feedback));
        Assert.Contains("feedback 5", e.Message);
        Assert.Contains(fault switch
        {
            "nan-reward" => "reward",
            "inf-feature" => "non-finite",
            "wrong-dimension" => "dimension 2",
            _ => "not in the pool",
        }, e.Message);
        Assert.Equal(before, State(router));
    }

    [Theory]
    [MemberData(nameof(Routers))]
    public void InvalidContextsRaiseAClearErrorAndDrawNothing(string kind)
    {
        var router = Make(kind);
        var before = State(router);
        var good = Contexts(new SeededRandom(5), 3, D);
        var e1 = Assert.ThrowsAny<ArgumentException>(() => router.Select([good[0], good[1], [0, double.NaN, 0, 0]]));
        Assert.Contains("context 2", e1.Message);
        Assert.Contains("non-finite", e1.Message);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => router.Select([good[0], [1, 2, 3]]));
        Assert.Contains("context 1 has dimension 3, the router expects 4", e2.Message);
        Assert.Equal(before, State(router));
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.ThrowsAny<ArgumentException>(() => new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { PriorVariance = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { NoiseVariance = double.NaN }));
        Assert.ThrowsAny<ArgumentException>(() => new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { Forgetting = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { Forgetting = 1.5 }));
        Assert.ThrowsAny<ArgumentException>(() => new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { MonteCarloDraws = -1 }));
        var e = Assert.ThrowsAny<ArgumentException>(() => new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { PriorMean = [[1, 2, 3], [1, 2]] }));
        Assert.Contains("prior mean row 1 has dimension 2", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { PriorMean = [[1, 2, 3]] }));
        Assert.ThrowsAny<ArgumentException>(() => new LinUcbRouter(2, 3, new LinUcbOptions { Alpha = -1 }));
        Assert.ThrowsAny<ArgumentException>(() => new LinUcbRouter(2, 3, new LinUcbOptions { Regularisation = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => new WeightedScoreRouter(2, 3, h => [0, 0], new WeightedScoreOptions { Alpha = 1.1 }));
        Assert.ThrowsAny<ArgumentException>(() => new FixedRouter(2, 2));
        Assert.ThrowsAny<ArgumentException>(() => new RandomRouter(0, 1));
    }

    [Fact]
    public void AScoreFunctionOfTheWrongLengthIsReported()
    {
        var router = new OfflineGreedyRouter(3, 2, h => [h[0], h[1]]);
        var e = Assert.ThrowsAny<ArgumentException>(() => router.Select([[1, 2]]));
        Assert.Contains("returned 2 scores, expected one per arm (3)", e.Message);
    }

    [Fact]
    public void APosteriorRejectsANonFiniteObservationWithoutChanging()
    {
        var post = new ArmPosterior(2, 1.0, 1.0);
        post.Observe([1.0, 2.0], 0.5);
        var factor = post.PrecisionFactor.ToArray();
        Assert.Throws<ArgumentException>(() => post.Observe([[1.0, 0.0], [double.NaN, 1.0]], [1.0, 1.0]));
        Assert.Throws<ArgumentException>(() => post.Observe([1.0, 0.0], double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => post.Observe([[1.0, 0.0, 3.0]], [1.0]));
        Assert.Equal(factor, post.PrecisionFactor.ToArray());
        Assert.Equal(1, post.Observations);
    }
}
