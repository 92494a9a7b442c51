using BayesianRouter.State;

namespace BayesianRouter.Rewards;

/// <summary>
/// The RM-to-RM reward variants of appendix C, for a caller that can compute the pair's training loss under other
/// RMs' labels. Full-advantage: 1 when the chosen RM's loss is no greater than the mean loss over all RMs, else 0.
/// Light-advantage: the same against the mean over C RMs sampled from the pool (see <see cref="LightAdvantageSampler"/>).
/// </summary>
public static class AdvantageRewards
{
    /// <summary>Full-advantage: 1 if <paramref name="chosenLoss"/> &lt;= mean(<paramref name="allLosses"/>), else 0.</summary>
    public static double FullAdvantage(double chosenLoss, IReadOnlyList<double> allLosses) => Advantage(chosenLoss, allLosses);

    /// <summary>Light-advantage: 1 if <paramref name="chosenLoss"/> &lt;= mean of the sampled RMs' losses, else 0.</summary>
    public static double LightAdvantage(double chosenLoss, IReadOnlyList<double> sampledLosses) => Advantage(chosenLoss, sampledLosses);

    private static double Advantage(double chosenLoss, IReadOnlyList<double> losses)
    {
        if (!double.IsFinite(chosenLoss)) throw new ArgumentException($"chosen RM's loss is not finite ({chosenLoss})");
        RewardShaping.CheckLosses(losses);
        if (losses.Count == 0) throw new ArgumentException("the advantage baseline needs at least one RM's loss");
        double mean = 0;
        foreach (var l in losses) mean += l;
        mean /= losses.Count;
        return chosenLoss <= mean ? 1.0 : 0.0;
    }
}

/// <summary>
/// Picks, per pair, the C RMs whose losses form the Light-advantage baseline (paper: C = 3): C distinct arms drawn
/// uniformly from the whole pool (the chosen RM may be among them), from a seeded generator saved in checkpoints.
/// </summary>
public sealed class LightAdvantageSampler : ICheckpointable
{
    private SeededRandom _random;

    public LightAdvantageSampler(int arms, int comparisons = 3, long seed = 0)
    {
        if (arms <= 0) throw new ArgumentOutOfRangeException(nameof(arms), arms, "pool must hold at least one RM");
        if (comparisons <= 0 || comparisons > arms)
            throw new ArgumentOutOfRangeException(nameof(comparisons), comparisons, $"C must be in 1..{arms} (the pool size)");
        Arms = arms;
        Comparisons = comparisons;
        _random = new SeededRandom(seed);
    }

    public int Arms { get; }
    public int Comparisons { get; }

    /// <summary>The C arms, ascending, whose losses the caller must supply for one pair.</summary>
    public int[] Sample()
    {
        var s = _random.SampleWithoutReplacement(Arms, Comparisons);
        Array.Sort(s);
        return s;
    }

    public string StateKind => "light-advantage-sampler";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        w.Write(Comparisons);
        _random.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Arms, "arms");
        r.ReadExpected(Comparisons, "comparisons");
        var random = SeededRandom.ReadState(r);
        return () => _random = random;
    }
}
