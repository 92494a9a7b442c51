using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Routing;

/// <summary>
/// The <see cref="IThompsonRouter"/> contract for both Thompson routers: Select is the argmax of the draws that
/// SampleScores returns (the same generator steps), and the draws follow ScoreMoments.
/// </summary>
public class ThompsonRouterContractTests
{
    private static double[] Prior(double[] h) => [h[0], h[0] + 0.05, 0.2 - h[1]];

    /// <summary>Two routers in the same state (same options, same learned batches), and contexts for them.</summary>
    private static (IThompsonRouter A, IThompsonRouter B, double[][] Contexts) Twins(string kind)
    {
        var rng = new SeededRandom(3);
        IThompsonRouter Make() => kind == "paper"
            ? new ThompsonSamplingRouter(3, 4, new ThompsonSamplingOptions { PriorVariance = 0.5, Seed = 11 })
            : new HierarchicalThompsonRouter(3, 4, Prior, new HierarchicalOptions { PromptExploration = 1, Seed = 11 });
        var a = Make();
        var b = Make();
        double[][] Contexts(int count) => RoutingTestData.Contexts(rng, count, 4).Select((h, i) => a switch
        {
            HierarchicalThompsonRouter t => Ids(t, (HierarchicalThompsonRouter)b, h, i),
            _ => h,
        }).ToArray();
        var learn = Contexts(40);
        var feedback = RoutingTestData.Feedback(rng, learn, 3);
        a.Update(feedback);
        b.Update(feedback);
        return (a, b, Contexts(30));
    }

    /// <summary>Interns the same domain and prompt names in both routers, so their contexts coincide.</summary>
    private static double[] Ids(HierarchicalThompsonRouter a, HierarchicalThompsonRouter b, double[] h, int i)
    {
        var x = a.Context(h, $"d{i % 3}", $"p{i % 7}");
        Assert.Equal(x, b.Context(h, $"d{i % 3}", $"p{i % 7}"));
        return x;
    }

    [Theory]
    [InlineData("paper")]
    [InlineData("hierarchical")]
    public void SelectIsTheArgmaxOfTheSampledScores(string kind)
    {
        var (a, b, contexts) = Twins(kind);
        for (int round = 0; round < 3; round++)
        {
            var scores = a.SampleScores(contexts);
            var decisions = b.Select(contexts);
            Assert.Equal(decisions.Select(d => d.Arm), scores.Select(s => RouterBase.ArgMax(s)));
        }
    }

    [Theory]
    [InlineData("paper")]
    [InlineData("hierarchical")]
    public void SampledScoresFollowTheScoreMoments(string kind)
    {
        var (a, _, contexts) = Twins(kind);
        var one = new[] { contexts[5] };
        var moments = a.ScoreMoments(one);
        var draws = Enumerable.Range(0, 4000).Select(_ => a.SampleScores(one)[0]).ToArray();
        for (int n = 0; n < 3; n++)
        {
            double mean = moments.Mean(0, n), sd = moments.StdDev(0, n);
            Assert.True(sd > 0, $"arm {n} has no spread");
            double ks = RoutingTestData.KolmogorovSmirnov(draws.Select(d => d[n]), x => RoutingTestData.NormalCdf((x - mean) / sd));
            Assert.True(ks < 0.03, $"arm {n}: KS distance {ks:F4} from N({mean:F4}, {sd:F4}^2)");
        }
    }

    [Fact]
    public void ABadContextLeavesTheHierarchicalGeneratorUntouched()
    {
        var (a, b, contexts) = Twins("hierarchical");
        var bad = contexts.Take(3).Append([0.1, 0.2, 0.3, 0.4, 99, 0]).ToArray(); // domain id 99 was never interned
        Assert.Throws<ArgumentException>(() => a.SampleScores(bad));
        Assert.Equal(b.SampleScores(contexts), a.SampleScores(contexts));
    }

    [Theory]
    [InlineData("paper")]
    [InlineData("hierarchical")]
    public void SampleWithACallersGeneratorDrawsWhatTheRouterWouldAndLeavesItsOwnGeneratorAlone(string kind)
    {
        var (a, b, contexts) = Twins(kind);
        // The routers' decision generator is SeededRandom(11, 0): the same generator handed in gives the same draws.
        var given = a.Sample(contexts, new SeededRandom(11));
        var (twinA, _, _) = Twins(kind);
        Assert.Equal(twinA.SampleScores(contexts), given.Scores);
        var moments = b.ScoreMoments(contexts);
        Assert.Equal(moments.Pairs, given.Moments.Pairs);
        for (int p = 0; p < contexts.Length; p++)
            for (int n = 0; n < 3; n++)
            {
                Assert.Equal(moments.Mean(p, n), given.Moments.Mean(p, n), 12);
                Assert.Equal(moments.StdDev(p, n), given.Moments.StdDev(p, n), 12);
            }
        Assert.Equal(b.SampleScores(contexts), a.SampleScores(contexts)); // a's own generator did not move
    }

    [Fact]
    public void MonteCarloHitsCountTheArgmaxOfTheDrawnScores()
    {
        var (a, _, contexts) = Twins("paper");
        var moments = a.ScoreMoments(contexts);
        var normals = ThompsonChoice.Normals(new SeededRandom(4), 500, 3);
        for (int p = 0; p < 5; p++)
        {
            var expected = new int[3];
            for (int t = 0; t < 500; t++)
                expected[RouterBase.ArgMax(Enumerable.Range(0, 3).Select(n => moments.Mean(p, n) + moments.StdDev(p, n) * normals[t * 3 + n]).ToArray())]++;
            Assert.Equal(expected, Enumerable.Range(0, 3).Select(arm => ThompsonChoice.MonteCarloHits(moments, p, arm, normals)).ToArray());
            Assert.Equal(500, expected.Sum());
        }
        // A transform that reverses the ranking turns the most frequent choice into the least frequent one.
        var most = Enumerable.Range(0, 3).MaxBy(arm => ThompsonChoice.MonteCarloHits(moments, 0, arm, normals));
        Assert.Equal(ThompsonChoice.MonteCarloHits(moments, 0, most, normals),
            Enumerable.Range(0, 3).Max(arm => ThompsonChoice.MonteCarloHits(moments, 0, arm, normals)));
        ScoreTransform negate = s => { for (int n = 0; n < s.Length; n++) s[n] = -s[n]; };
        Assert.True(ThompsonChoice.MonteCarloHits(moments, 0, most, normals, negate) < ThompsonChoice.MonteCarloHits(moments, 0, most, normals));
    }

    [Fact]
    public void FallbackOrderIsTheChosenArmThenTheOthersByScore()
    {
        Assert.Equal([2, 0, 3, 1], ThompsonChoice.FallbackOrder(2, [0.5, -1, 0.1, 0.5]));
        Assert.Equal([1, 0, 3, 2], ThompsonChoice.FallbackOrder(1, [0.5, -1, 0.1, 0.5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ThompsonChoice.FallbackOrder(4, [1.0, 2, 3, 4]));
    }

    [Fact]
    public void ADecisionOnlyContextRoutesLikeAFreshNameButCannotBeLearnedFrom()
    {
        var (a, b, contexts) = Twins("hierarchical");
        var ha = (HierarchicalThompsonRouter)a;
        var hb = (HierarchicalThompsonRouter)b;
        var h = contexts[0][..4];
        int names = ha.PromptNames.Count;
        var unseen = ha.Context(h, "new-domain", "new-prompt", intern: false);
        Assert.Equal(HierarchicalThompsonRouter.Unseen, unseen[4]);
        Assert.Equal(HierarchicalThompsonRouter.Unseen, unseen[5]);
        Assert.Equal(names, ha.PromptNames.Count);
        Assert.Equal(ha.Context(h, "d1", "p2", intern: false), ha.Context(h, "d1", "p2")); // known names: their ids
        var interned = hb.Context(h, "new-domain", "new-prompt");
        Assert.Equal(hb.ScoreMoments([interned]).Mean(0, 1), ha.ScoreMoments([unseen]).Mean(0, 1));
        Assert.Equal(hb.SampleScores([interned]), ha.SampleScores([unseen]));
        var e = Assert.Throws<ArgumentException>(() => a.Update([new ArmFeedback(unseen, 0, 1)]));
        Assert.Contains("intern", e.Message);
    }
}
