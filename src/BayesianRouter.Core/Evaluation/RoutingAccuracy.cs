using BayesianRouter.Data;

namespace BayesianRouter.Evaluation;

/// <summary>
/// Routing accuracy as in the paper's Table 2 (section 4.3): the share of pairs on which the RM a router picks
/// strictly prefers the ground-truth response, beside single RMs, majority vote, random routing and the oracle.
/// Pairs without a ground truth are left out. A tie or a missing judgment is never right (the paper's delta).
/// </summary>
public static class RoutingAccuracy
{
    /// <summary>
    /// Scores routers given as their chosen arm (index into <paramref name="pool"/>) for every pair, in pair order.
    /// </summary>
    public static RoutingReport Evaluate(
        IReadOnlyList<PreferencePair> pairs,
        IReadOnlyList<string> pool,
        IReadOnlyList<(string Name, IReadOnlyList<int> Choices)> routers)
    {
        if (pool.Count == 0) throw new ArgumentException("the pool is empty");
        foreach (var (name, choices) in routers)
        {
            if (choices.Count != pairs.Count)
                throw new ArgumentException($"router \"{name}\" gave {choices.Count} choices for {pairs.Count} pairs");
            for (int i = 0; i < choices.Count; i++)
                if (choices[i] < 0 || choices[i] >= pool.Count)
                    throw new ArgumentException($"router \"{name}\" chose arm {choices[i]} for pair {pairs[i].Id}; the pool has {pool.Count} RMs");
        }

        var labelled = Enumerable.Range(0, pairs.Count).Where(i => pairs[i].Preferred is not null).ToArray();
        var filtered = labelled.Where(i => pool.Any(pairs[i].IsRight)).ToArray();
        return new RoutingReport(pool.ToArray(), Table(pairs, pool, routers, filtered), Table(pairs, pool, routers, labelled));
    }

    /// <summary>
    /// Majority vote's credit on one pair: 1 when more pool RMs prefer the right response than the wrong one,
    /// 0.5 on a tied vote, else 0. RMs that judge a tie, or did not judge the pair, abstain.
    /// </summary>
    public static double MajorityCredit(PreferencePair pair, IReadOnlyList<string> pool)
    {
        if (pair.Preferred is not { } truth) throw new ArgumentException($"pair {pair.Id} has no ground truth");
        int right = 0, wrong = 0;
        foreach (var rm in pool)
        {
            if (!pair.Judgments.TryGetValue(rm, out var j)) continue;
            var p = j.Prefers();
            if (p == Preference.Tie) continue;
            if (p == truth) right++; else wrong++;
        }
        return PairStatistics.AbstainingMajorityCredit(right, wrong);
    }

    /// <summary>Random routing's expected credit on one pair: the share of pool RMs that are right.</summary>
    public static double RandomCredit(PreferencePair pair, IReadOnlyList<string> pool) =>
        pool.Count(pair.IsRight) / (double)pool.Count;

    private static RoutingTable Table(
        IReadOnlyList<PreferencePair> pairs, IReadOnlyList<string> pool,
        IReadOnlyList<(string Name, IReadOnlyList<int> Choices)> routers, int[] rows)
    {
        var byDomain = rows.GroupBy(i => pairs[i].Domain ?? RoutingTable.NoDomain, StringComparer.Ordinal)
            .OrderBy(g => g.Key == RoutingTable.NoDomain ? 1 : 0).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Scores(pairs, pool, routers, g.ToArray()), StringComparer.Ordinal);
        return new RoutingTable(Scores(pairs, pool, routers, rows), byDomain);
    }

    private static RoutingScores Scores(
        IReadOnlyList<PreferencePair> pairs, IReadOnlyList<string> pool,
        IReadOnlyList<(string Name, IReadOnlyList<int> Choices)> routers, int[] rows)
    {
        double Mean(Func<int, double> credit) => rows.Length == 0 ? double.NaN : rows.Sum(credit) / rows.Length;
        var routerScores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, choices) in routers)
            routerScores[name] = Mean(i => pairs[i].IsRight(pool[choices[i]]) ? 1 : 0);
        var single = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var rm in pool) single[rm] = Mean(i => pairs[i].IsRight(rm) ? 1 : 0);
        return new RoutingScores(
            rows.Length, routerScores, single,
            Mean(i => MajorityCredit(pairs[i], pool)),
            Mean(i => RandomCredit(pairs[i], pool)),
            Mean(i => pool.Any(pairs[i].IsRight) ? 1 : 0));
    }
}
