namespace BayesianRouter.Data;

/// <summary>Which RMs of a pool have recorded behaviour in a set of pairs (for "unknown RM" errors that list the known ones).</summary>
public static class PoolCoverage
{
    /// <summary>The pool's RMs that judged none of the pairs, in pool order.</summary>
    public static IReadOnlyList<string> Unjudged(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<string> pool)
    {
        var judged = JudgedRms(pairs).ToHashSet(StringComparer.Ordinal);
        return pool.Where(rm => !judged.Contains(rm)).ToArray();
    }

    /// <summary>Every RM with at least one judgment in the pairs, in ordinal order.</summary>
    public static IReadOnlyList<string> JudgedRms(IReadOnlyList<PreferencePair> pairs) =>
        pairs.SelectMany(p => p.Judgments.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
}
