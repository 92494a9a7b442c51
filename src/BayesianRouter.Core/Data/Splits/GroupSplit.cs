namespace BayesianRouter.Data.Splits;

/// <summary>
/// Seeded splits of pairs that never separate a group (pairs sharing a prompt). Pure functions: the same pairs,
/// fraction and seed always give the same split, whatever the order of the pairs in the list.
/// </summary>
public static class GroupSplit
{
    /// <summary>
    /// Puts a seeded random <paramref name="testFraction"/> of the groups (rounded to the nearest count, at least
    /// one group on each side when there are two or more) on the held-out side.
    /// </summary>
    public static PairSplit ByFraction(IReadOnlyList<PreferencePair> pairs, double testFraction, int seed)
    {
        CheckFraction(testFraction);
        var groups = DistinctGroups(pairs);
        var test = PickGroups(groups, testFraction, new Random(seed));
        return FromTestGroups(pairs, test);
    }

    /// <summary>
    /// Out-of-domain split: a seeded random <paramref name="testFraction"/> of the domains goes wholly to the
    /// held-out side; groups without a domain are split at random by group with the same fraction. A group's
    /// domain is the first domain among its pairs (in list order).
    /// </summary>
    public static PairSplit ByDomain(IReadOnlyList<PreferencePair> pairs, double testFraction, int seed)
    {
        CheckFraction(testFraction);
        var domainOf = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            if (!domainOf.TryGetValue(p.Group, out var d)) domainOf[p.Group] = p.Domain;
            else if (d == null && p.Domain != null) domainOf[p.Group] = p.Domain;
        }
        var domains = domainOf.Values.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var rng = new Random(seed);
        var testDomains = PickGroups(domains, testFraction, rng);
        var undomained = domainOf.Where(kv => kv.Value == null).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        var test = PickGroups(undomained, testFraction, rng);
        test.UnionWith(domainOf.Where(kv => kv.Value != null && testDomains.Contains(kv.Value)).Select(kv => kv.Key));
        return FromTestGroups(pairs, test);
    }

    /// <summary>The split whose held-out side is exactly the pairs of <paramref name="testGroups"/>.</summary>
    public static PairSplit FromTestGroups(IReadOnlyList<PreferencePair> pairs, IEnumerable<string> testGroups)
    {
        var set = testGroups as ISet<string> ?? new HashSet<string>(testGroups, StringComparer.Ordinal);
        var train = new List<int>();
        var test = new List<int>();
        for (int i = 0; i < pairs.Count; i++) (set.Contains(pairs[i].Group) ? test : train).Add(i);
        var present = test.Select(i => pairs[i].Group).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new PairSplit(train, test, present);
    }

    private static List<string> DistinctGroups(IReadOnlyList<PreferencePair> pairs) =>
        pairs.Select(p => p.Group).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Shuffles the (sorted) names with the generator and takes the first round(fraction x count).</summary>
    private static HashSet<string> PickGroups(List<string> sorted, double fraction, Random rng)
    {
        var shuffled = sorted.ToArray();
        rng.Shuffle(shuffled);
        int k = (int)Math.Round(fraction * shuffled.Length, MidpointRounding.AwayFromZero);
        if (shuffled.Length >= 2 && fraction > 0 && fraction < 1) k = Math.Clamp(k, 1, shuffled.Length - 1);
        return new HashSet<string>(shuffled.Take(k), StringComparer.Ordinal);
    }

    private static void CheckFraction(double f)
    {
        if (!(f >= 0 && f <= 1)) throw new ArgumentOutOfRangeException(nameof(f), f, "the held-out fraction must lie in [0, 1]");
    }
}
