using BayesianRouter.Data;
using BayesianRouter.State;

namespace BayesianRouter.Aggregation;

/// <summary>
/// UWO (Coste et al. 2023, as the paper implements it in section 4.1): the majority label (ties broken by a seeded
/// coin, as in <see cref="MajorityVote"/>) with pair weight = consensus rate = the share of the pool's RMs that vote
/// for that label. Abstaining RMs count in the denominator (they do not agree), so a pair on which every RM
/// abstains gets weight 0.
/// </summary>
public sealed class UncertaintyWeightedOptimization : ICheckpointable
{
    private readonly MajorityVote _majority;

    public UncertaintyWeightedOptimization(long seed)
    {
        _majority = new MajorityVote(seed);
    }

    public AggregatedLabel Aggregate(IReadOnlyList<Preference> votes)
    {
        var m = _majority.Aggregate(votes);
        int agree = m.Label == Preference.A ? m.VotesA : m.VotesB;
        return m with { Weight = (double)agree / votes.Count };
    }

    public string StateKind => "uwo";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w) => _majority.WriteState(w);

    public Action ReadState(BinaryReader r, int version) => _majority.ReadState(r, version);
}
