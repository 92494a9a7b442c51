using System.Globalization;
using BayesianRouter.Baselines;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Simulation;

/// <summary>
/// What the offline side of one seed decided for one budget, before the stream is replayed: the cost-aware router's
/// price (its offline start lambda_0 and its step, chosen on the validation part), the threshold router's two RMs and
/// threshold, and the random mixture. Nothing here reads the stream.
/// </summary>
public sealed record BudgetPlan
{
    public required double Budget { get; init; }

    /// <summary>The cost-aware router's options (budget, lambda_0, step).</summary>
    public required BudgetOptions Router { get; init; }

    /// <summary>The threshold router: default (cheap) arm, expensive arm, threshold on the nested router's margin, and the share it was set for.</summary>
    public required int ThresholdCheap { get; init; }
    public required int ThresholdExpensive { get; init; }
    public required double Threshold { get; init; }
    public required double ThresholdShare { get; init; }

    /// <summary>The random mixture: q of the pairs to the high arm, the rest to the low arm.</summary>
    public required int MixLow { get; init; }
    public required int MixHigh { get; init; }
    public required double MixShare { get; init; }

    /// <summary>One line for the report: what was chosen and on what it scored.</summary>
    public string Description { get; init; } = "";

    /// <summary>
    /// The plan of every budget of <paramref name="options"/> for one seed. <paramref name="offlinePairs"/> is the whole
    /// offline side (RM accuracies for the mixture); the validation part of <paramref name="nested"/> (the nested router
    /// never trained on it) sets the threshold, the offline price and, by replaying it as a stream under each candidate
    /// step, the step. Without a validation part the offline side itself and the final router stand in.
    /// </summary>
    public static IReadOnlyList<BudgetPlan> ForSeed(NestedSelectionResult nested, IReadOnlyList<PreferencePair> offlinePairs,
        IReadOnlyList<PairEmbedding> offlineEmbeddings, SimulationOptions options, BayesianRouterOptions online, int seed)
    {
        if (options.Budgets.Count == 0) return [];
        var inv = CultureInfo.InvariantCulture;
        var pool = options.Pool;
        var costs = pool.Select(options.CostOf).ToArray();
        double maxCost = costs.Max() > 0 ? costs.Max() : 1;
        bool validation = nested.Validation.Count > 0 && nested.NestedRouter != null;
        var heldRouter = validation ? nested.NestedRouter! : nested.Router;
        var heldPairs = validation ? nested.Validation : offlinePairs;
        var heldEmb = validation ? nested.ValidationEmbeddings : offlineEmbeddings;
        var heldH = heldPairs.Select((p, i) => heldRouter.Features(heldEmb[i], p.Domain)).ToArray();

        // The bayesian-router's prior scores on the held-out pairs: the scale of its draws, for lambda_0 and the step.
        var factory = new BayesianRouterFactory(heldRouter, online with { Calibration = nested.Calibration, UseDomain = online.UseDomain && options.Offline.UseDomain });
        var fresh = factory.Create(0);
        var heldContexts = heldPairs.Select((p, i) => factory.Features(fresh, heldH[i], p.Domain, p.Group)).ToArray();
        double[][] Means(ScoreMoments m) => Enumerable.Range(0, heldPairs.Count).Select(p => Enumerable.Range(0, pool.Count).Select(n => m.Mean(p, n)).ToArray()).ToArray();
        // the scale of the draws is the model's own (an anchor's excluded arms are shifted far below the rest)
        double range = BudgetPacer.ScoreRange(Means((fresh is AnchoredThompsonRouter a ? a.Inner : fresh).ScoreMoments(heldContexts)));

        var bt = heldH.Select(heldRouter.BtScores).ToArray();
        var accuracy = pool.Select(rm => offlinePairs.Count == 0 ? 0 : offlinePairs.Average(p => p.IsRight(rm) ? 1.0 : 0.0)).ToArray();
        var plans = new List<BudgetPlan>();
        foreach (var budget in options.Budgets)
        {
            // Cost-aware router: lambda_0 from the offline dual of the choice it makes (an anchored router: among the
            // incumbent the budget affords and its credible challengers), the step by validation replay (the most
            // accurate; ties: the smaller).
            var chooser = AnchoredThompsonRouter.UnderBudget(fresh, costs, budget);
            double lambda0 = BudgetPacer.OfflinePrice(Means(chooser.ScoreMoments(heldContexts)), costs, budget);
            var candidates = options.BudgetSteps.Select(k => new BudgetOptions
            {
                Budget = budget, InitialPrice = lambda0, StepSize = k * range / maxCost,
            }).ToList();
            int chosen = 0;
            var replay = new List<string>();
            if (validation && candidates.Count > 1)
            {
                double bestAcc = double.NegativeInfinity;
                for (int c = 0; c < candidates.Count; c++)
                {
                    var opts = candidates[c];
                    var (acc, cost) = SimulationRunner.ReplayValidation(nested, options, seed, string.Create(inv, $"budget {budget}/{c}"), online,
                        inner => CostAwareRouter.Create(inner, costs, opts));
                    replay.Add(string.Create(inv, $"step {options.BudgetSteps[c]:G3}: {acc:F4} at cost {cost:F2}"));
                    if (acc > bestAcc + 1e-12) (bestAcc, chosen) = (acc, c);
                }
            }

            // Threshold router: the RM pair (cheap default, costlier escalation) with the best held-out accuracy at the share the budget allows.
            var (cheap, expensive, threshold, share, thresholdAcc) = ChooseThreshold(heldPairs, bt, pool, costs, budget);
            var mix = MixtureRouter.Best(accuracy, costs, budget);
            plans.Add(new BudgetPlan
            {
                Budget = budget,
                Router = candidates[chosen],
                ThresholdCheap = cheap, ThresholdExpensive = expensive, Threshold = threshold, ThresholdShare = share,
                MixLow = mix.Low, MixHigh = mix.High, MixShare = mix.Share,
                Description = string.Create(inv, $"budget {budget:G4}: price lambda_0 {lambda0:G4}, step {options.BudgetSteps[chosen]:G3} x {range / maxCost:G3}")
                    + (replay.Count > 0 ? $" (validation replay: {string.Join("; ", replay)})" : "")
                    + string.Create(inv, $"; threshold {pool[cheap]} -> {pool[expensive]} below margin {threshold:G4} (share {share:F3}, held-out accuracy {thresholdAcc:F4})")
                    + $"; random-mix {pool[mix.Low]}" + (mix.Share > 0 ? string.Create(inv, $" + {mix.Share:F3} {pool[mix.High]}") : "")
                    + string.Create(inv, $" (offline accuracy {mix.Accuracy:F4})"),
            });
        }
        return plans;
    }

    /// <summary>
    /// Every (cheap, expensive) pair of RMs with c_cheap &lt;= B and c_expensive &gt; c_cheap: the share
    /// (B - c_cheap) / (c_expensive - c_cheap) of the held-out pairs with the lowest margin go to the expensive RM; the
    /// pair whose held-out accuracy is highest wins (ties: the first in pool order).
    /// </summary>
    public static (int Cheap, int Expensive, double Threshold, double Share, double Accuracy) ChooseThreshold(
        IReadOnlyList<PreferencePair> pairs, IReadOnlyList<double[]> scores, IReadOnlyList<string> pool, IReadOnlyList<double> costs, double budget)
    {
        (int, int, double, double, double)? best = null;
        double bestAcc = double.NegativeInfinity;
        for (int i = 0; i < pool.Count; i++)
        {
            if (costs[i] > budget) continue;
            for (int j = 0; j < pool.Count; j++)
            {
                if (j == i || costs[j] <= costs[i]) continue;
                double share = ThresholdRouter.ShareFor(costs[i], costs[j], budget);
                var margins = scores.Select(s => ThresholdRouter.Margin(s, i, j)).ToArray();
                double tau = ThresholdRouter.ThresholdFor(margins, share);
                double acc = pairs.Count == 0 ? 0 : Enumerable.Range(0, pairs.Count).Average(p => pairs[p].IsRight(pool[margins[p] < tau ? j : i]) ? 1.0 : 0.0);
                if (acc > bestAcc + 1e-12) (best, bestAcc) = ((i, j, tau, share, acc), acc);
            }
        }
        if (best is { } b) return b;
        // every RM costs the same: no escalation, the most accurate RM on the held-out pairs
        int only = Enumerable.Range(0, pool.Count).Where(n => costs[n] <= budget)
            .MaxBy(n => pairs.Count == 0 ? 0 : pairs.Average(p => p.IsRight(pool[n]) ? 1.0 : 0.0));
        return (only, only, double.NegativeInfinity, 0, pairs.Count == 0 ? 0 : pairs.Average(p => p.IsRight(pool[only]) ? 1.0 : 0.0));
    }
}
