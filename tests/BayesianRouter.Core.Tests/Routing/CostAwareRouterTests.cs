using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Routing;

/// <summary>
/// The cost-aware router and its pacer: the budget holds pair by pair on adversarial streams (also inside a batch), the
/// price rises while the price-optimal RM costs more than B and falls when it stops, an unlimited budget gives exactly
/// the bayesian-router's decisions, and the state resumes bit for bit.
/// </summary>
public class CostAwareRouterTests
{
    private static readonly double[] Costs = [1, 1.1, 2.9, 10, 25, 60];

    /// <summary>A small offline artifact (random fusing layer and heads) for the factory that builds the bayesian-router.</summary>
    private static OfflineRouter Offline(int arms, int seed = 5)
    {
        int enc = 6, d = 4;
        var rng = new Random(seed);
        double[] Draw(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        return new OfflineRouter(Enumerable.Range(0, arms).Select(n => $"rm{n}").ToArray(), "test", enc, 256, [],
            FusionActivation.Tanh, d, Draw(d * 2 * enc), Draw(d), Draw(arms * (d + 1)), Draw(arms * (d + 1)));
    }

    /// <summary>One pair of a synthetic stream: h (last entry 1), its domain and prompt names, and a uniform draw for its reward.</summary>
    private sealed record Item(double[] H, int Domain, string Prompt, double U);

    /// <summary>
    /// Batches of pairs: a domain among three, a prompt among twelve; arm n is right (reward 1) with probability
    /// rightness(n, domain), from the pair's seeded uniform draw.
    /// </summary>
    private static List<Item[]> Stream(int dimension, int batches, int batchSize, int seed)
    {
        var rng = new SeededRandom(seed);
        return Enumerable.Range(0, batches).Select(_ => Enumerable.Range(0, batchSize).Select(_ => new Item(
            Enumerable.Range(0, dimension).Select(k => k == dimension - 1 ? 1.0 : rng.NextGaussian()).ToArray(),
            rng.NextInt(3), $"p{rng.NextInt(12)}", rng.NextDouble())).ToArray()).ToList();
    }

    /// <summary>The router's contexts of a batch (each hierarchical router interns the names in the order it meets them).</summary>
    private static double[][] Contexts(BayesianRouterFactory factory, IRouter router, Item[] batch) =>
        batch.Select(p => factory.Features(router, p.H, $"d{p.Domain}", p.Prompt)).ToArray();

    /// <summary>Routes one batch and learns from it; returns the arms.</summary>
    private static int[] Step(BayesianRouterFactory factory, IRouter router, IRouter contextsOf, Item[] batch, Func<int, int, double> rightness)
    {
        var x = Contexts(factory, contextsOf, batch);
        var arms = router.Select(x).Select(d => d.Arm).ToArray();
        router.Update(arms.Select((arm, i) => new ArmFeedback(x[i], arm, batch[i].U < rightness(arm, batch[i].Domain) ? 1 : 0)).ToArray());
        return arms;
    }

    [Theory]
    [InlineData(OnlineModel.Hierarchical)]
    [InlineData(OnlineModel.Paper)]
    public void AnUnlimitedBudgetMakesExactlyTheBayesianRoutersDecisions(OnlineModel model)
    {
        var factory = new BayesianRouterFactory(Offline(Costs.Length), new BayesianRouterOptions { Model = model });
        var plain = factory.Create(seed: 42);
        var budgeted = new CostAwareRouter((IThompsonRouter)factory.Create(seed: 42), Costs, BudgetOptions.Unlimited);
        // every RM fits the budget and the price starts at 0: also the plain router's decisions
        var roomy = new CostAwareRouter((IThompsonRouter)factory.Create(seed: 42), Costs, new BudgetOptions { Budget = 60, StepSize = 0.5 });
        double Rightness(int arm, int domain) => 0.4 + 0.1 * ((arm + domain) % 4);
        int expensive = 0, pairs = 0;
        foreach (var batch in Stream(factory.Offline.FeatureDimension, 25, 32, 7))
        {
            var a = Step(factory, plain, plain, batch, Rightness);
            Assert.Equal(a, Step(factory, budgeted, budgeted.Inner, batch, Rightness));
            Assert.Equal(a, Step(factory, roomy, roomy.Inner, batch, Rightness));
            expensive += a.Count(arm => Costs[arm] > 10);
            pairs += a.Length;
        }
        Assert.True(expensive > 0, "the stream never chose an expensive RM: the test would not tell a budget from none");
        Assert.Equal(0, roomy.Pacer.Price);
        Assert.Equal(pairs, budgeted.Pacer.Pairs);
        Assert.True(budgeted.Pacer.MeanCost > 2, "the unlimited router spends what its choices cost");
    }

    /// <summary>
    /// A Thompson router whose draws the test sets: the pacer's behaviour is then a function of the scores alone.
    /// </summary>
    private sealed class ScriptedRouter(int arms, Func<int, double[]> scores) : RouterBase(arms, 1), IThompsonRouter
    {
        private int _pair;
        public List<ArmFeedback> Learned { get; } = [];

        public ScoreMoments ScoreMoments(IReadOnlyList<double[]> contexts) => throw new NotSupportedException();

        public double[][] SampleScores(IReadOnlyList<double[]> contexts) => contexts.Select(_ => scores(_pair++)).ToArray();

        public ScoreDraws Sample(IReadOnlyList<double[]> contexts, SeededRandom random) => throw new NotSupportedException();

        protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts) =>
            SampleScores(contexts).Select(s => new RoutingDecision(ArgMax(s), double.NaN)).ToArray();

        protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback) => Learned.AddRange(feedback);
    }

    private static double[][] Batch(int n) => Enumerable.Range(0, n).Select(_ => new[] { 1.0 }).ToArray();

    /// <summary>Every partial sum of the batch's costs, in selection order, stays within B t + R (t counted over the stream).</summary>
    private static void AssertWithinBudget(IReadOnlyList<RoutingDecision> decisions, ref double spend, ref long t, double budget, double overdraft)
    {
        foreach (var d in decisions)
        {
            spend += Costs[d.Arm];
            t++;
            Assert.True(spend <= budget * t + overdraft + 1e-9 * budget * t,
                $"after {t} pairs the spend {spend} exceeds B t + R = {budget * t + overdraft}");
        }
    }

    [Theory]
    [InlineData(1.0, 0.0, 0.0)]
    [InlineData(2.0, 0.0, 0.0)]
    [InlineData(2.0, 0.01, 0.0)]
    [InlineData(5.0, 0.001, 60.0)]
    [InlineData(30.0, 0.0, 25.0)]
    [InlineData(59.9, 0.05, 0.0)]
    public void AStreamThatFavoursTheExpensiveRmNeverExceedsTheBudget(double budget, double step, double overdraft)
    {
        // every pair: the most expensive RM is best by far, and its feedback says so
        var inner = new ScriptedRouter(Costs.Length, _ => Costs.Select(c => c / 60).ToArray());
        var router = new CostAwareRouter(inner, Costs, new BudgetOptions { Budget = budget, StepSize = step, Overdraft = overdraft });
        double spend = 0;
        long t = 0;
        for (int b = 0; b < 40; b++)
        {
            var x = Batch(64);
            var decisions = router.Select(x);                        // a whole batch before any feedback
            AssertWithinBudget(decisions, ref spend, ref t, budget, overdraft);
            router.Update(decisions.Select((d, i) => new ArmFeedback(x[i], d.Arm, d.Arm == Costs.Length - 1 ? 1 : 0)).ToArray());
        }
        Assert.Equal(spend, router.Pacer.Spend, 9);
        Assert.Equal(2560, router.Pacer.Pairs);
        Assert.Equal(2560, inner.Learned.Count);                    // feedback reaches the wrapped router
        Assert.True(router.Pacer.MeanCost <= budget + overdraft / 2560 + 1e-9);
        // the budget is used, not hoarded (a price step far too large for the stream wastes a little of it)
        Assert.True(router.Pacer.MeanCost >= 0.99 * budget, $"mean cost {router.Pacer.MeanCost} wastes the budget {budget}");
    }

    [Fact]
    public void ThePriceRisesWhileTheExpensiveRmIsWantedAndFallsToZeroWhenItIsNot()
    {
        bool expensiveBest = true;
        var inner = new ScriptedRouter(Costs.Length, _ => expensiveBest ? [0.5, 0.5, 0.5, 0.5, 0.5, 0.9] : [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
        var router = new CostAwareRouter(inner, Costs, new BudgetOptions { Budget = 5, StepSize = 1e-4 });
        var prices = new List<double>();
        for (int b = 0; b < 50; b++)
        {
            router.Select(Batch(64));
            prices.Add(router.Pacer.Price);
        }
        // the unpriced choice (60) costs more than B = 5: the price climbs until the expensive RM stops being worth it
        Assert.True(prices[0] > 0);
        Assert.True(prices[5] > prices[0]);
        double breakEven = 0.4 / (60 - 1);
        Assert.InRange(prices[^1], 0.9 * breakEven, 1.1 * breakEven);
        // the price settles where the expensive RM takes the share the budget affords: its mean cost approaches B
        Assert.InRange(router.Pacer.MeanCost, 4.5, 5.0);

        expensiveBest = false;
        double before = router.Pacer.Price;
        router.Select(Batch(64));
        Assert.True(router.Pacer.Price < before, "no pair wants a costly RM any more: the price must fall");
        for (int b = 0; b < 20; b++) router.Select(Batch(64));
        Assert.Equal(0, router.Pacer.Price);
    }

    [Fact]
    public void AStartingPriceFromTheOfflineDualFitsTheBudgetAtOnce()
    {
        var rng = new SeededRandom(3);
        var scores = Enumerable.Range(0, 500).Select(_ => Costs.Select(c => 0.5 + 0.05 * Math.Log(c) + 0.1 * rng.NextGaussian()).ToArray()).ToArray();
        foreach (var budget in new[] { 1.0, 2, 5, 10, 30 })
        {
            double price = BudgetPacer.OfflinePrice(scores, Costs, budget);
            Assert.True(price > 0);
            Assert.True(BudgetPacer.MeanCostAt(scores, Costs, price) <= budget);
            Assert.True(BudgetPacer.MeanCostAt(scores, Costs, price * (1 - 1e-6)) > budget, $"budget {budget}: a lower price also fits");
        }
        Assert.Equal(0, BudgetPacer.OfflinePrice(scores, Costs, 60));
    }

    [Fact]
    public void ABudgetBelowTheCheapestRmIsRefused()
    {
        var inner = new ScriptedRouter(Costs.Length, _ => new double[Costs.Length]);
        var e = Assert.Throws<ArgumentException>(() => new CostAwareRouter(inner, Costs, new BudgetOptions { Budget = 0.5 }));
        Assert.Contains("below the cheapest RM's cost (1, arm 0)", e.Message);
        Assert.Throws<ArgumentException>(() => new CostAwareRouter(inner, Costs, new BudgetOptions { Budget = double.NaN }));
        Assert.Throws<ArgumentException>(() => new CostAwareRouter(inner, Costs, new BudgetOptions { Budget = 5, Overdraft = 61 }));
        Assert.Throws<ArgumentException>(() => new CostAwareRouter(inner, [1, 2], new BudgetOptions { Budget = 5 }));
        Assert.Throws<ArgumentException>(() => BudgetPacer.OfflinePrice([[0, 1, 2, 3, 4, 5]], Costs, 0.9));
    }

    [Fact]
    public void FallbackChargesCountInTheSpendAndLaterPairsRepayThem()
    {
        var inner = new ScriptedRouter(Costs.Length, _ => [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        var router = new CostAwareRouter(inner, Costs, new BudgetOptions { Budget = 2, StepSize = 1e-4 });
        router.Select(Batch(100));
        double price = router.Pacer.Price;
        router.Charge(60);                               // a fallback to the judge after a failed call
        Assert.True(router.Pacer.Price > price);
        Assert.Equal(60, router.Pacer.Charged);
        double debt = router.Pacer.Spend - router.Pacer.Allowance(router.Pacer.Pairs);
        Assert.True(debt > 0);
        // while in debt only the cheapest RM is affordable, and it repays B - c_min = 1 per pair
        var repaying = router.Select(Batch((int)Math.Floor(debt)));
        Assert.All(repaying, d => Assert.Equal(0, d.Arm));
        router.Select(Batch(200));
        Assert.True(router.Pacer.Spend <= router.Pacer.Allowance(router.Pacer.Pairs) + 1e-9);
    }

    [Fact]
    public void AResumedRouterContinuesWithTheSamePriceSpendAndDecisions()
    {
        var factory = new BayesianRouterFactory(Offline(Costs.Length));
        CostAwareRouter Make() => new((IThompsonRouter)factory.Create(seed: 9), Costs, new BudgetOptions { Budget = 3, InitialPrice = 0.002, StepSize = 0.001 });
        double Rightness(int arm, int domain) => arm == 5 ? 0.9 : 0.5;
        var batches = Stream(factory.Offline.FeatureDimension, 20, 24, 3);
        var full = Make();
        var uninterrupted = batches.SelectMany(b => Step(factory, full, full.Inner, b, Rightness)).ToList();

        var first = Make();
        var resumed = batches.Take(10).SelectMany(b => Step(factory, first, first.Inner, b, Rightness)).ToList();
        var bytes = CheckpointFile.ToBytes(first);
        var second = Make();
        CheckpointFile.Restore(bytes, second);        // also the prompt and domain names the first one met
        Assert.Equal(first.Pacer.Price, second.Pacer.Price);
        Assert.Equal(first.Pacer.Spend, second.Pacer.Spend);
        Assert.Equal(first.Pacer.Pairs, second.Pacer.Pairs);
        resumed.AddRange(batches.Skip(10).SelectMany(b => Step(factory, second, second.Inner, b, Rightness)));
        Assert.Equal(uninterrupted, resumed);
        Assert.Equal(full.Pacer.Price, second.Pacer.Price);
        Assert.Equal(full.Pacer.Spend, second.Pacer.Spend);

        var other = new CostAwareRouter((IThompsonRouter)factory.Create(seed: 9), Costs, new BudgetOptions { Budget = 4 });
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(bytes, other));
        Assert.Contains("budget", e.Message);
    }
}
