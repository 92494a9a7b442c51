using BayesianRouter.Rewards;
using BayesianRouter.RewardModels;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>Which feedback an online router gets after a DPO step.</summary>
public enum RouterFeedback
{
    /// <summary>No learning (single RM, random, offline-only).</summary>
    None,

    /// <summary>Per pair, by <see cref="RewardVariant"/> (Thompson sampling: paper section 3.3, appendix B, C).</summary>
    PerPair,

    /// <summary>LASER: the batch's negative mean loss, 20/80-quantile rescaled over past batches, for the batch's one arm.</summary>
    PerBatch,
}

/// <summary>
/// A router in the loop: for each step it picks one RM per pair (<see cref="IRouter.Select"/> on the pairs' features),
/// each chosen RM labels its pairs in one call, and after the DPO step the pairs' losses come back as rewards
/// through <c>Rewards/</c> (batch-centred loss + quantile rescaling, or Full/Light-advantage, whose extra RM calls are
/// counted: <see cref="LossFeedback"/>). The baselines run this way; the bayesian-router runs as the live path
/// (<see cref="SessionAlignMethod"/>).
/// </summary>
public sealed class RoutedAlignMethod : AlignMethod
{
    private readonly IRouter _router;
    private readonly IReadOnlyList<IRewardModel> _pool;
    private readonly Func<OnlineBatch, IReadOnlyList<double[]>> _context;
    private readonly RouterFeedback _feedback;
    private readonly LossFeedback _losses;
    private readonly QuantileNormaliser _normaliser = new();

    public RoutedAlignMethod(string name, MethodKind kind, IRouter router, IReadOnlyList<IRewardModel> pool,
        Func<OnlineBatch, IReadOnlyList<double[]>> context, RouterFeedback feedback, LossFeedback? losses = null) : base(name, kind)
    {
        _router = router;
        _pool = pool;
        _context = context;
        _feedback = feedback;
        _losses = losses ?? new LossFeedback(pool, RewardVariant.BatchLoss);
    }

    public IRouter Router => _router;
    public RewardVariant Reward => _losses.Reward;

    public override async Task<PairLabel[]> LabelAsync(OnlineBatch batch, CancellationToken cancellationToken)
    {
        var pairs = batch.Pairs;
        // routers that ignore features (single RM, random) never make the encoder embed the pairs
        var contexts = _router.Dimension > 0 ? _context(batch) : pairs.Select(_ => Array.Empty<double>()).ToArray();
        var decisions = _router.Select(contexts);
        var labels = new PairLabel[pairs.Count];
        foreach (var group in Enumerable.Range(0, pairs.Count).GroupBy(i => decisions[i].Arm))
        {
            var idx = group.ToArray();
            var verdicts = await JudgeAll(_pool[group.Key], idx.Select(i => pairs[i]).ToArray(), cancellationToken).ConfigureAwait(false);
            for (int k = 0; k < idx.Length; k++) labels[idx[k]] = new PairLabel(verdicts[k], 1.0, group.Key, 1);
        }
        return labels;
    }

    public override async Task<int[]?> FeedbackAsync(OnlineBatch batch, PairLabel[] labels, StepFeedback feedback, CancellationToken cancellationToken)
    {
        if (_feedback == RouterFeedback.None) return null;
        if (feedback.Protocol.Kind == FeedbackKind.Audit)
        {
            var audited = labels.Select((l, i) => (i, Reward: feedback.AuditReward(i, l))).Where(x => x.Reward is not null).ToArray();
            if (audited.Length == 0) return null;
            var ctx = _context(batch);
            // LASER learns the batch's mean agreement for its one arm; Thompson sampling each audited pair's own
            double batchReward = audited.Average(x => x.Reward!.Value);
            _router.Update(audited.Select(x => new ArmFeedback(ctx[x.i], labels[x.i].Arm,
                _feedback == RouterFeedback.PerBatch ? batchReward : x.Reward!.Value)).ToArray());
            return null;
        }
        var marginsIfA = feedback.MarginsIfA;
        var (used, losses) = LossFeedback.Losses(labels, marginsIfA);
        if (used.Length == 0) return null;
        var contexts = _context(batch);

        if (_feedback == RouterFeedback.PerBatch)
        {
            double reward = _normaliser.Normalise([-losses.Average()])[0];
            _router.Update(used.Select(i => new ArmFeedback(contexts[i], labels[i].Arm, reward)).ToArray());
            return null;
        }

        int[]? extra = null;
        double[] rewards;
        if (_losses.Reward == RewardVariant.BatchLoss) rewards = _normaliser.ShapeLosses(losses);
        else (rewards, extra) = await _losses.AdvantageAsync(batch, labels, used, losses, marginsIfA, cancellationToken).ConfigureAwait(false);
        _router.Update(used.Select((i, k) => new ArmFeedback(contexts[i], labels[i].Arm, rewards[k])).ToArray());
        return extra ?? new int[labels.Length];
    }
}
