using BayesianRouter.Data;
using BayesianRouter.State;

namespace BayesianRouter.Aggregation;

/// <summary>
/// The majority-vote ensemble baseline: every pool RM labels the pair (N RM calls per pair); an RM whose judgment is
/// a tie (or missing: pass <see cref="Preference.Tie"/>) abstains; the label is the side with more votes, and a tied
/// vote (including all RMs abstaining) is broken by a seeded fair coin. Weight 1.
/// </summary>
public sealed class MajorityVote : ICheckpointable
{
    private SeededRandom _coin;

    public MajorityVote(long seed)
    {
        _coin = new SeededRandom(seed);
    }

    /// <summary>Aggregates one pair's per-RM preferences (one entry per pool RM).</summary>
    public AggregatedLabel Aggregate(IReadOnlyList<Preference> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        if (votes.Count == 0) throw new ArgumentException("majority vote needs at least one RM's judgment");
        int a = 0, b = 0, abstain = 0;
        for (int i = 0; i < votes.Count; i++)
        {
            switch (votes[i])
            {
                case Preference.A: a++; break;
                case Preference.B: b++; break;
                case Preference.Tie: abstain++; break;
                default: throw new ArgumentException($"vote {i} is not a preference ({votes[i]})");
            }
        }
        if (a != b) return new AggregatedLabel(a > b ? Preference.A : Preference.B, 1.0, a, b, abstain, false);
        return new AggregatedLabel(_coin.NextBool() ? Preference.A : Preference.B, 1.0, a, b, abstain, true);
    }

    public string StateKind => "majority-vote";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w) => _coin.WriteState(w);

    public Action ReadState(BinaryReader r, int version)
    {
        var coin = SeededRandom.ReadState(r);
        return () => _coin = coin;
    }
}
