using BayesianRouter.Alignment.Training;
using BayesianRouter.Data;
using BayesianRouter.Rewards;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// A step's DPO losses as a router's feedback (paper appendix B, C): each labelled pair's loss under its label, and,
/// for the advantage variants, the 0/1 reward that compares it with the loss under other RMs' labels (every RM's for
/// Full-advantage, C sampled ones for Light-advantage), whose RM calls are counted. The batch-centred loss reward
/// (the default) is shaped by whoever learns: a router's own <see cref="QuantileNormaliser"/>, or the routing session.
/// </summary>
public sealed class LossFeedback
{
    private readonly IReadOnlyList<IRewardModel> _pool;
    private readonly LightAdvantageSampler? _light;

    public LossFeedback(IReadOnlyList<IRewardModel> pool, RewardVariant reward, int lightComparisons = 3, long seed = 0)
    {
        _pool = pool;
        Reward = reward;
        if (reward == RewardVariant.LightAdvantage) _light = new LightAdvantageSampler(pool.Count, Math.Min(lightComparisons, pool.Count), seed);
    }

    public RewardVariant Reward { get; }

    /// <summary>The DPO loss of a pair with margin <paramref name="marginIfA"/> (a preferred) under a label: softplus(-m) for a, softplus(m) for b.</summary>
    public static double Loss(double marginIfA, Preference winner) => winner == Preference.A ? DpoLoss.Softplus(-marginIfA) : DpoLoss.Softplus(marginIfA);

    /// <summary>The pairs the step trained on (those with a label) and each one's loss under its label.</summary>
    public static (int[] Used, double[] Losses) Losses(PairLabel[] labels, double[] marginsIfA)
    {
        var used = Enumerable.Range(0, labels.Length).Where(i => labels[i].Winner is not null).ToArray();
        return (used, used.Select(i => Loss(marginsIfA[i], labels[i].Winner!.Value)).ToArray());
    }

    /// <summary>
    /// The advantage reward of every used pair, and the RM calls each pair of the batch cost beyond its labelling RM.
    /// Only for <see cref="RewardVariant.FullAdvantage"/> and <see cref="RewardVariant.LightAdvantage"/>.
    /// </summary>
    public async Task<(double[] Rewards, int[] ExtraCalls)> AdvantageAsync(OnlineBatch batch, PairLabel[] labels, int[] used, double[] losses,
        double[] marginsIfA, CancellationToken ct)
    {
        if (Reward == RewardVariant.BatchLoss) throw new InvalidOperationException("the batch-centred loss reward is shaped by the learner");
        var extra = new int[labels.Length];
        var rewards = new double[used.Length];
        double LossUnder(int k, Preference? verdict) => verdict is { } w ? Loss(marginsIfA[used[k]], w) : losses[k]; // no label from that RM: as the chosen one
        if (Reward == RewardVariant.FullAdvantage)
        {
            // Every RM's label on every used pair, one call per RM: N - 1 calls beyond the chosen RM's.
            var pairs = used.Select(i => batch.Pairs[i]).ToArray();
            var all = new Preference?[_pool.Count][];
            for (int n = 0; n < _pool.Count; n++) all[n] = await AlignMethod.JudgeAll(_pool[n], pairs, ct).ConfigureAwait(false);
            for (int k = 0; k < used.Length; k++)
            {
                rewards[k] = AdvantageRewards.FullAdvantage(losses[k], all.Select(v => LossUnder(k, v[k])).ToArray());
                extra[used[k]] = _pool.Count - 1;
            }
            return (rewards, extra);
        }
        for (int k = 0; k < used.Length; k++)
        {
            int i = used[k];
            var sampled = new List<double>();
            foreach (var arm in _light!.Sample())
            {
                if (arm == labels[i].Arm) { sampled.Add(losses[k]); continue; }
                sampled.Add(LossUnder(k, (await AlignMethod.JudgeAll(_pool[arm], [batch.Pairs[i]], ct).ConfigureAwait(false))[0]));
                extra[i]++;
            }
            rewards[k] = AdvantageRewards.LightAdvantage(losses[k], sampled);
        }
        return (rewards, extra);
    }
}
