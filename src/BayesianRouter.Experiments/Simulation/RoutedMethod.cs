using BayesianRouter.Rewards;
using BayesianRouter.Routing;

namespace BayesianRouter.Simulation;

/// <summary>
/// A router replayed on the stream: for each batch it selects one RM per pair, the chosen RM labels the pair, and —
/// if the router learns — the batch's feedback (<see cref="FeedbackModel"/>) updates it (losses shaped per batch with
/// the method's own reward history, as a live session does). <c>context</c> picks the router's view of the batch (the
/// offline router's h, the baselines' features, or the bayesian-router's [h; domain; prompt]).
/// </summary>
public sealed class RoutedMethod(
    string name, MethodKind kind, IRouter router, bool learns, Func<SimulationBatch, IReadOnlyList<double[]>> context,
    IReadOnlyList<string> pool, IReadOnlyList<double> costs, FeedbackModel feedback, Random feedbackRng, int seed = 0)
    : AnnotationMethod(name, kind)
{
    public IRouter Router { get; } = router;

    private readonly QuantileNormaliser? _losses = feedback.IsLoss ? new QuantileNormaliser() : null;

    public override void Annotate(SimulationBatch batch, Span<PairOutcome> outcomes)
    {
        var contexts = context(batch);
        var decisions = Router.Select(contexts);
        var updates = learns ? new List<ArmFeedback>(batch.Pairs.Count) : null;
        for (int i = 0; i < batch.Pairs.Count; i++)
        {
            var pair = batch.Pairs[i];
            int arm = decisions[i].Arm;
            bool correct = pair.IsRight(pool[arm]);
            int calls = 1;
            double cost = costs[arm];
            if (updates != null)
            {
                var reward = feedback.Reward(pair, pool, arm, feedbackRng, seed, out var extra);
                calls += extra.Length;
                foreach (var e in extra) cost += costs[e];
                // RMs called for feedback (agreement) are spend too: a budgeted router counts them and repays them later
                if (extra.Length > 0 && Router is CostAwareRouter budgeted) budgeted.Charge(extra.Sum(e => costs[e]));
                if (reward is { } r) updates.Add(new ArmFeedback(contexts[i], arm, r)); // a loss with dpo feedback, shaped below
            }
            outcomes[i] = new PairOutcome(correct, arm, calls, cost, 1.0);
        }
        if (updates is { Count: > 0 } && _losses != null)
        {
            var rewards = _losses.ShapeLosses(updates.Select(u => u.Reward).ToArray());
            for (int i = 0; i < rewards.Length; i++) updates[i] = updates[i] with { Reward = rewards[i] };
        }
        if (updates is { Count: > 0 }) Router.Update(updates);
    }
}
