using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Routing;

/// <summary>
/// Do no harm: Thompson sampling anchored on the incumbent (the offline router's pick). Arms compete with it only where
/// the posterior gives them a credible advantage, and the moments it reports describe its decisions exactly.
/// </summary>
public class AnchoredThompsonRouterTests
{
    private static readonly HierarchicalOptions Levels = new()
    {
        GlobalVariance = 0.01, DomainVariance = 0.02, PromptVariance = 0.05, NoiseVariance = 0.2, Seed = 3,
        FitRewardScale = false,   // default exploration: Thompson draws on the global and domain levels, none per prompt
    };

    // h = [x, 1]; prior prediction of arm n: 0.70, 0.66, 0.40 (arm 0 the incumbent everywhere), nudged by x.
    private static double[] Prior(double[] h) => [0.70 + 0.01 * h[0], 0.66, 0.40];

    private static int Incumbent(double[] h) => RouterBase.ArgMax(Prior(h));

    private static (AnchoredThompsonRouter Anchored, HierarchicalThompsonRouter Model) Make(double confidence = 0.95, long seed = 3)
    {
        var model = new HierarchicalThompsonRouter(3, 2, Prior, Levels with { Seed = seed });
        return (new AnchoredThompsonRouter(model, Incumbent, 2, confidence), model);
    }

    private static readonly double[] H = [0.5, 1];

    [Fact]
    public void At_its_prior_it_is_the_offline_router_where_plain_Thompson_sampling_explores()
    {
        var (anchored, model) = Make();
        var contexts = Enumerable.Range(0, 400).Select(i => anchored.Context(H, $"d{i % 4}", $"p{i}")).ToArray();
        Assert.All(anchored.Select(contexts), d => Assert.Equal(0, d.Arm));
        // the same model without the anchor routes a share of the pairs to the runner-up (prior sd of each score ~ 0.17)
        int away = model.Select(contexts).Count(d => d.Arm != 0);
        Assert.InRange(away, 60, 300);
    }

    [Fact]
    public void A_challenger_becomes_eligible_only_where_the_posterior_credibly_prefers_it()
    {
        var (anchored, _) = Make();
        // in domain "broken" the incumbent (arm 0) is wrong on 60 pairs; elsewhere it is right as predicted
        var feedback = new List<ArmFeedback>();
        for (int i = 0; i < 60; i++) feedback.Add(new ArmFeedback(anchored.Context(H, "broken", $"b{i}"), 0, 0));
        for (int i = 0; i < 60; i++) feedback.Add(new ArmFeedback(anchored.Context(H, "fine", $"f{i}"), 0, 1));
        anchored.Update(feedback);

        var broken = anchored.Context(H, "broken", "new-b");
        var fine = anchored.Context(H, "fine", "new-f");
        var eligible = anchored.Eligible([broken, fine]);
        Assert.Equal([true, true, false], eligible[0]);     // arm 1 (prior 0.66) is now credibly better; arm 2 (0.40) is not
        Assert.Equal([true, false, false], eligible[1]);
        var post = anchored.Inner.ScoreMoments([broken]);
        Assert.True(post.Mean(0, 1) - post.Mean(0, 0) >= AnchoredThompsonRouter.NormalQuantile(0.95) * Math.Sqrt(post.Variance(0, 0) + post.Variance(0, 1)));
        // decisions: the broken domain moves to arm 1 (almost always: the advantage is large), the fine one never moves
        var decisions = anchored.Select(Enumerable.Repeat(broken, 200).Concat(Enumerable.Repeat(fine, 200)).ToArray());
        Assert.InRange(decisions.Take(200).Count(d => d.Arm == 1), 180, 200);
        Assert.All(decisions.Take(200), d => Assert.NotEqual(2, d.Arm));
        Assert.All(decisions.Skip(200), d => Assert.Equal(0, d.Arm));
    }

    [Fact]
    public void A_higher_confidence_needs_more_evidence()
    {
        foreach (var (confidence, wrong, expected) in new[] { (0.95, 8, false), (0.6, 8, true), (0.95, 30, true) })
        {
            var (anchored, _) = Make(confidence);
            anchored.Update(Enumerable.Range(0, wrong).Select(i => new ArmFeedback(anchored.Context(H, "d", $"p{i}"), 0, 0)).ToArray());
            Assert.Equal(expected, anchored.Eligible([anchored.Context(H, "d", "next")])[0][1]);
        }
    }

    [Fact]
    public void The_reported_moments_describe_the_decisions_exactly()
    {
        var (anchored, _) = Make(seed: 11);
        // some evidence so that in domain "x" arms 0 and 1 are both eligible and the draw decides between them
        anchored.Update(Enumerable.Range(0, 60).Select(i => new ArmFeedback(anchored.Context(H, "x", $"p{i}"), 0, i % 4 == 0 ? 1 : 0)).ToArray());
        var ctx = anchored.Context(H, "x", "q", intern: false);
        Assert.Equal([true, true, false], anchored.Eligible([ctx])[0]);
        var moments = anchored.ScoreMoments([ctx]);
        Assert.Equal(0, moments.StdDev(0, 2));                           // excluded: a point below every eligible draw
        Assert.True(moments.Mean(0, 2) < Math.Min(moments.Mean(0, 0) - 20 * moments.StdDev(0, 0), moments.Mean(0, 1) - 20 * moments.StdDev(0, 1)));

        // the choice probability from the moments (independent normals: Phi of the difference for two arms) is the
        // decisions' frequency, drawn from a caller's generator as a live session does
        double p1 = Phi((moments.Mean(0, 1) - moments.Mean(0, 0)) / Math.Sqrt(moments.Variance(0, 0) + moments.Variance(0, 1)));
        var random = new SeededRandom(5);
        int draws = 4000, ones = 0;
        for (int t = 0; t < draws; t++)
        {
            var s = anchored.Sample([ctx], random);
            int arm = RouterBase.ArgMax(s.Scores[0]);
            Assert.NotEqual(2, arm);
            if (arm == 1) ones++;
        }
        Assert.InRange(ones / (double)draws, p1 - 0.03, p1 + 0.03);
        Assert.InRange(p1, 0.5, 0.999);
        var normals = ThompsonChoice.Normals(new SeededRandom(6), 4000, 3);
        Assert.Equal(p1, ThompsonChoice.MonteCarloHits(moments, 0, 1, normals) / 4000.0, 0.03);
        Assert.Equal(0, ThompsonChoice.MonteCarloHits(moments, 0, 2, normals));
    }

    [Fact]
    public void It_routes_as_its_inner_model_would_where_every_arm_is_eligible_and_saves_the_models_state()
    {
        // at confidence 0.5 every arm with a higher posterior mean than the incumbent competes
        var (a, model) = Make(0.5, seed: 8);
        var (b, _) = Make(0.5, seed: 8);
        var batches = Enumerable.Range(0, 6).Select(t => Enumerable.Range(0, 10).Select(i => (Domain: $"d{(t + i) % 3}", Prompt: $"p{t}-{i}", Reward: (t * i) % 3 == 0 ? 1.0 : 0.0)).ToArray()).ToArray();
        string path = Path.Combine(Path.GetTempPath(), "anchored-" + Guid.NewGuid().ToString("N") + ".ckpt");
        try
        {
            for (int t = 0; t < batches.Length; t++)
            {
                if (t == 3)
                {
                    CheckpointFile.Save(path, b);
                    (b, _) = Make(0.5, seed: 8);
                    CheckpointFile.Restore(path, b);
                    // the names are part of the model's state: the restored router gives the same contexts
                    Assert.Equal(a.Context(H, "d1", "p0-1"), b.Context(H, "d1", "p0-1"));
                }
                var ca = batches[t].Select(x => a.Context(H, x.Domain, x.Prompt)).ToArray();
                var cb = batches[t].Select(x => b.Context(H, x.Domain, x.Prompt)).ToArray();
                Assert.Equal(a.Select(ca).Select(d => d.Arm), b.Select(cb).Select(d => d.Arm));
                a.Update(ca.Select((c, i) => new ArmFeedback(c, i % 3, batches[t][i].Reward)).ToArray());
                b.Update(cb.Select((c, i) => new ArmFeedback(c, i % 3, batches[t][i].Reward)).ToArray());
            }
            Assert.Equal(model.StateKind, a.StateKind);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Under_a_budget_the_incumbent_is_the_best_arm_it_affords_and_a_dearer_arm_is_bought_only_on_credible_evidence()
    {
        double[] costs = [10, 1, 0.5];   // the incumbent everywhere (arm 0) is the dearest
        var model = new HierarchicalThompsonRouter(3, 2, Prior, Levels);
        var anchored = AnchoredThompsonRouter.OnScores(model, Prior, 2);
        var contexts = Enumerable.Range(0, 400).Select(i => anchored.Context(H, $"d{i % 4}", $"p{i}")).ToArray();
        Assert.All(anchored.Select(contexts), d => Assert.Equal(0, d.Arm));
        Assert.Equal(0, anchored.Affordable(costs, 10).Incumbent(contexts[0]));
        var cheap = anchored.Affordable(costs, 2);
        Assert.Equal(1, cheap.Incumbent(contexts[0]));    // the best arm of cost <= 2
        Assert.Same(model, cheap.Inner);                  // the same model: it learns what the session learns

        // without evidence the cost-aware router is the affordable incumbent on every pair, not a gamble on the draws
        var budgeted = CostAwareRouter.Create(anchored, costs, new BudgetOptions { Budget = 2 });
        Assert.All(budgeted.Select(contexts), d => Assert.Equal(1, d.Arm));
        // the same model unanchored, under the same budget, spends on the dearer arm by its prior draws
        var unanchored = new HierarchicalThompsonRouter(3, 2, Prior, Levels);
        var plain = new CostAwareRouter(unanchored, costs, new BudgetOptions { Budget = 2 });
        Assert.Contains(plain.Select(Enumerable.Range(0, 400).Select(i => unanchored.Context(H, $"d{i % 4}", $"p{i}")).ToArray()), d => d.Arm == 0);

        // evidence: the affordable incumbent (arm 1) is wrong on 60 pairs of domain "broken": there arm 0 (prior 0.70,
        // cost 10) and arm 2 (prior 0.40, cost 0.5) both become credibly better than it, so the router leaves arm 1,
        // buys arm 0 as far as the budget goes (helped by what arm 2 saves) and never overspends; elsewhere nothing moves
        var learner = CostAwareRouter.Create(AnchoredThompsonRouter.OnScores(new HierarchicalThompsonRouter(3, 2, Prior, Levels), Prior, 2), costs, new BudgetOptions { Budget = 2 });
        var keyed = (IKeyedRouter)learner.Inner;
        learner.Inner.Update(Enumerable.Range(0, 60).Select(i => new ArmFeedback(keyed.Context(H, "broken", $"b{i}"), 1, 0)).ToArray());
        var broken = learner.Select(Enumerable.Range(0, 200).Select(i => keyed.Context(H, "broken", $"nb{i}")).ToArray());
        int[] counts = [.. Enumerable.Range(0, 3).Select(n => broken.Count(d => d.Arm == n))];
        Assert.True(counts[0] > 0 && counts[2] > counts[1], $"arms chosen in the broken domain: {string.Join(", ", counts)}");
        Assert.True(learner.Pacer.MeanCost <= 2 + 1e-9, $"mean cost {learner.Pacer.MeanCost}");
        Assert.All(learner.Select(Enumerable.Range(0, 100).Select(i => keyed.Context(H, "fine", $"f{i}")).ToArray()), d => Assert.Equal(1, d.Arm));

        Assert.Throws<ArgumentException>(() => anchored.Affordable(costs, 0.4));
        Assert.Throws<InvalidOperationException>(() => new AnchoredThompsonRouter(model, Incumbent, 2).Affordable(costs, 2));
    }

    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.95, 1.6448536269514722)]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.999, 3.090232306167813)]
    [InlineData(0.01, -2.3263478740408408)]
    public void The_normal_quantile_is_accurate(double p, double z) => Assert.Equal(z, AnchoredThompsonRouter.NormalQuantile(p), 7);

    [Fact]
    public void Bad_settings_are_refused()
    {
        var model = new HierarchicalThompsonRouter(3, 2, Prior, Levels);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnchoredThompsonRouter(model, Incumbent, 2, 0.4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnchoredThompsonRouter(model, Incumbent, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnchoredThompsonRouter(model, Incumbent, 5));
        var wrong = new AnchoredThompsonRouter(model, _ => 7, 2);
        Assert.Throws<InvalidOperationException>(() => wrong.Select([wrong.Context(H, "d", "p")]));
    }

    private static double Phi(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    private static double Erf(double x)
    {
        // Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7)
        double t = 1 / (1 + 0.3275911 * Math.Abs(x));
        double y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return x >= 0 ? y : -y;
    }
}
