using BayesianRouter.Aggregation;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// Majority vote or UWO in the loop: every RM of the pool labels every pair (N calls per pair); the label is the
/// majority (a tie broken by a seeded coin) and UWO weights the pair's DPO loss by the share of RMs agreeing with it.
/// </summary>
public sealed class EnsembleAlignMethod(string name, Func<IReadOnlyList<Preference>, AggregatedLabel> aggregate, IReadOnlyList<IRewardModel> pool)
    : AlignMethod(name, MethodKind.Ensemble)
{
    public override async Task<PairLabel[]> LabelAsync(OnlineBatch batch, CancellationToken cancellationToken)
    {
        var verdicts = new Preference?[pool.Count][];
        for (int n = 0; n < pool.Count; n++) verdicts[n] = await JudgeAll(pool[n], batch.Pairs, cancellationToken).ConfigureAwait(false);
        var labels = new PairLabel[batch.Pairs.Count];
        var votes = new Preference[pool.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int n = 0; n < pool.Count; n++) votes[n] = verdicts[n][i] ?? Preference.Tie;
            var label = aggregate(votes);
            labels[i] = new PairLabel(label.Label, label.Weight, -1, pool.Count);
        }
        return labels;
    }
}

/// <summary>Ground-truth labels (the graded truth; a pair whose answers are equally far from the answer is not trained on). An upper bound.</summary>
public sealed class OracleAlignMethod() : AlignMethod("oracle", MethodKind.Oracle)
{
    public override Task<PairLabel[]> LabelAsync(OnlineBatch batch, CancellationToken cancellationToken) =>
        Task.FromResult(batch.Pairs.Select(p => new PairLabel(p.Truth switch { 1 => Preference.A, -1 => Preference.B, _ => null }, 1.0, -1, 0)).ToArray());
}
