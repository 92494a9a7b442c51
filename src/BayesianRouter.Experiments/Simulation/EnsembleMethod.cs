using BayesianRouter.Aggregation;
using BayesianRouter.Data;

namespace BayesianRouter.Simulation;

/// <summary>
/// An ensemble replayed on the stream: every pool RM labels every pair (N calls), and the label is aggregated
/// (majority vote, or UWO whose pair weight is the share of RMs agreeing with the majority).
/// </summary>
public sealed class EnsembleMethod(string name, Func<IReadOnlyList<Preference>, AggregatedLabel> aggregate,
    IReadOnlyList<string> pool, IReadOnlyList<double> costs) : AnnotationMethod(name, MethodKind.Ensemble)
{
    private readonly double _costAll = costs.Sum();

    public override void Annotate(SimulationBatch batch, Span<PairOutcome> outcomes)
    {
        var votes = new Preference[pool.Count];
        for (int i = 0; i < batch.Pairs.Count; i++)
        {
            var pair = batch.Pairs[i];
            for (int n = 0; n < pool.Count; n++)
                votes[n] = pair.Judgments.TryGetValue(pool[n], out var j) ? j.Prefers() : Preference.Tie;
            var label = aggregate(votes);
            outcomes[i] = new PairOutcome(label.Label == pair.Preferred, -1, pool.Count, _costAll, label.Weight);
        }
    }
}
