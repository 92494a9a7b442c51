using BayesianRouter.Alignment.Training;
using BayesianRouter.Data;
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
/// counted).
/// </summary>
public sealed class RoutedAlignMethod : AlignMethod
{
    private readonly IRouter _router;
    private readonly IReadOnlyList<IRewardModel> _pool;
    private readonly Func<OnlineBatch, IReadOnlyList<double[]>> _context;
    private readonly RouterFeedback _feedback;
    private readonly RewardVariant _reward;
    private readonly QuantileNormaliser _normaliser = new();
    private readonly LightAdvantageSampler? _light;

    public RoutedAlignMethod(string name, MethodKind kind, IRouter router, IReadOnlyList<IRewardModel> pool,
        Func<OnlineBatch, IReadOnlyList<double[]>> context, RouterFeedback feedback, RewardVariant reward = RewardVariant.BatchLoss,
        int lightComparisons = 3, long seed = 0) : base(name, kind)
    {
        _router = router;
        _pool = pool;
        _context = context;
        _feedback = feedback;
        _reward = reward;
        if (reward == RewardVariant.LightAdvantage) _light = new LightAdvantageSampler(pool.Count, Math.Min(lightComparisons, pool.Count), seed);
    }

    public IRouter Router => _router;
    public RewardVariant Reward => _reward;

    public override async Task<PairLabel[]> LabelAsync(OnlineBatch batch, CancellationToken cancellationToken)
    {
        var pairs = batch.Pairs;
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

    public override async Task<int[]?> FeedbackAsync(OnlineBatch batch, PairLabel[] labels, double[] marginsIfA, CancellationToken cancellationToken)
    {
        if (_feedback == RouterFeedback.None) return null;
        var used = Enumerable.Range(0, labels.Length).Where(i => labels[i].Winner is not null).ToArray();
        if (used.Length == 0) return null;
        var contexts = _context(batch);
        double Loss(int i, Preference winner) => winner == Preference.A ? DpoLoss.Softplus(-marginsIfA[i]) : DpoLoss.Softplus(marginsIfA[i]);
        var losses = used.Select(i => Loss(i, labels[i].Winner!.Value)).ToArray();

        if (_feedback == RouterFeedback.PerBatch)
        {
            double reward = _normaliser.Normalise([-losses.Average()])[0];
            _router.Update(used.Select(i => new ArmFeedback(contexts[i], labels[i].Arm, reward)).ToArray());
            return null;
        }

        var extra = new int[labels.Length];
        double[] rewards;
        switch (_reward)
        {
            case RewardVariant.BatchLoss:
                rewards = _normaliser.ShapeLosses(losses);
                break;
            case RewardVariant.FullAdvantage:
            {
                // Every RM's label on every used pair: N - 1 calls beyond the chosen RM's.
                var all = await AllVerdicts(batch, used, Enumerable.Range(0, _pool.Count).ToArray(), cancellationToken).ConfigureAwait(false);
                rewards = new double[used.Length];
                for (int k = 0; k < used.Length; k++)
                {
                    int i = used[k];
                    var others = all.Select(v => v[k] is { } w ? Loss(i, w) : losses[k]).ToArray();
                    rewards[k] = AdvantageRewards.FullAdvantage(losses[k], others);
                    extra[i] = _pool.Count - 1;
                }
                break;
            }
            default:
            {
                rewards = new double[used.Length];
                var sampled = used.Select(_ => _light!.Sample()).ToArray();
                for (int k = 0; k < used.Length; k++)
                {
                    int i = used[k];
                    var losses2 = new List<double>();
                    foreach (var arm in sampled[k])
                    {
                        if (arm == labels[i].Arm) { losses2.Add(losses[k]); continue; }
                        var v = (await JudgeAll(_pool[arm], [batch.Pairs[i]], cancellationToken).ConfigureAwait(false))[0];
                        losses2.Add(v is { } w ? Loss(i, w) : losses[k]);
                        extra[i]++;
                    }
                    rewards[k] = AdvantageRewards.LightAdvantage(losses[k], losses2);
                }
                break;
            }
        }
        _router.Update(used.Select((i, k) => new ArmFeedback(contexts[i], labels[i].Arm, rewards[k])).ToArray());
        return extra;
    }

    /// <summary>Verdicts of the given arms on the used pairs: [arm][pair], one call per arm.</summary>
    private async Task<Preference?[][]> AllVerdicts(OnlineBatch batch, int[] used, int[] arms, CancellationToken ct)
    {
        var pairs = used.Select(i => batch.Pairs[i]).ToArray();
        var result = new Preference?[arms.Length][];
        for (int a = 0; a < arms.Length; a++) result[a] = await JudgeAll(_pool[arms[a]], pairs, ct).ConfigureAwait(false);
        return result;
    }
}
