using BayesianRouter.Data;

namespace BayesianRouter.Evaluation;

/// <summary>
/// Statistics of a pair file: counts, each RM's accuracy and tie rate, and what a pool of RMs achieves together
/// (best single RM, majority vote, oracle, hindsight choices per domain and per group, disagreement sets, per-domain
/// accuracy). Pure: pairs in, report out. An RM is right on a pair when it strictly prefers the ground-truth response
/// (the paper's delta = 1); a tie or a missing judgment is not right.
/// </summary>
public static class PairStatistics
{
    public const string NoDomain = "(none)";

    // Per pair, per RM (by index of first appearance): what the RM said.
    private const byte Missing = 0, SaysA = 1, SaysB = 2, SaysTie = 3;

    private sealed record Row(string Group, string? Domain, Preference? Truth, byte[] Says);

    /// <summary>
    /// Streams the pairs once, keeping only their behaviour (never their texts), then computes the report.
    /// <paramref name="pool"/> defaults to every RM of the file, in order of first appearance.
    /// </summary>
    public static PairStatisticsReport Compute(IEnumerable<PreferencePair> pairs, IReadOnlyList<string>? pool = null)
    {
        var rmIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var rms = new List<string>();
        var rows = new List<Row>();
        foreach (var p in pairs)
        {
            foreach (var rm in p.Judgments.Keys)
                if (rmIndex.TryAdd(rm, rms.Count)) rms.Add(rm);
            var says = new byte[rms.Count];
            foreach (var (rm, j) in p.Judgments)
                says[rmIndex[rm]] = j.Prefers() switch { Preference.A => SaysA, Preference.B => SaysB, _ => SaysTie };
            rows.Add(new Row(p.Group, p.Domain, p.Preferred, says));
        }

        var poolNames = ResolvePool(pool, rms);
        var poolIdx = poolNames.Select(n => rmIndex[n]).ToArray();
        var labelled = rows.Where(r => r.Truth is not null).ToList();

        return new PairStatisticsReport(
            rows.Count,
            rows.Select(r => r.Group).Distinct(StringComparer.Ordinal).Count(),
            labelled.Count,
            rows.Count(r => r.Truth == Preference.B),
            rows.Where(r => r.Domain != null).Select(r => r.Domain).Distinct(StringComparer.Ordinal).Count(),
            rms.Select((name, k) => Rm(name, k, rows, labelled.Count)).ToList(),
            Pool(poolNames, poolIdx, labelled),
            ByDomain(poolNames, poolIdx, labelled));
    }

    /// <summary>The pool's names, checked against the file's RMs (an unknown or repeated name is an error).</summary>
    private static string[] ResolvePool(IReadOnlyList<string>? pool, List<string> rms)
    {
        if (pool == null) return rms.ToArray();
        if (pool.Count == 0) throw new ArgumentException("the pool is empty");
        foreach (var name in pool)
            if (!rms.Contains(name))
                throw new ArgumentException($"RM \"{name}\" of the pool has no judgment in the file; the file's RMs are: {(rms.Count == 0 ? "(none)" : string.Join(", ", rms))}");
        var twice = pool.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice != null) throw new ArgumentException($"RM \"{twice.Key}\" is named twice in the pool");
        return pool.ToArray();
    }

    private static byte Says(Row r, int rm) => rm < r.Says.Length ? r.Says[rm] : Missing;

    private static bool Right(Row r, int rm) => Says(r, rm) is var s && r.Truth is { } t
        && ((t == Preference.A && s == SaysA) || (t == Preference.B && s == SaysB));

    private static bool Wrong(Row r, int rm) => Says(r, rm) is var s && r.Truth is { } t
        && ((t == Preference.A && s == SaysB) || (t == Preference.B && s == SaysA));

    private static RmStatistics Rm(string name, int k, List<Row> rows, int labelled)
    {
        int judged = rows.Count(r => Says(r, k) != Missing);
        int ties = rows.Count(r => Says(r, k) == SaysTie);
        int right = rows.Count(r => Right(r, k));
        return new RmStatistics(name, judged, rows.Count - judged, right, ties,
            labelled == 0 ? null : right / (double)labelled,
            judged == 0 ? null : ties / (double)judged);
    }

    /// <summary>
    /// Majority vote's credit on one pair given how many of the pool's RMs are right (the RewardMATH README's
    /// definition): 1 above half, 0.5 at exactly half, else 0.
    /// </summary>
    public static double MajorityCredit(int right, int poolSize) =>
        2 * right > poolSize ? 1 : 2 * right == poolSize ? 0.5 : 0;

    /// <summary>
    /// Majority vote's credit on one pair when RMs that tie or did not judge abstain: 1 with more right than wrong
    /// votes, 0.5 on a tied vote (a fair coin), else 0. Offline evaluation and the simulation's labels use this rule.
    /// </summary>
    public static double AbstainingMajorityCredit(int right, int wrong) => right > wrong ? 1 : right == wrong ? 0.5 : 0;

    /// <summary>Majority vote's credit on one pair (see <see cref="MajorityCredit(int,int)"/>); the pair must have a ground truth.</summary>
    public static double MajorityCredit(PreferencePair pair, IReadOnlyList<string> pool)
    {
        if (pair.Preferred is null) throw new ArgumentException($"pair \"{pair.Id}\" has no ground truth");
        return MajorityCredit(pool.Count(pair.IsRight), pool.Count);
    }

    private static PoolStatistics Pool(string[] names, int[] idx, List<Row> labelled)
    {
        int n = labelled.Count, m = idx.Length;
        double? Share(double x) => n == 0 ? null : x / n;
        var rightCount = new int[m];
        double majority = 0, abstain = 0;
        int oracle = 0;
        var disagree = new int[m, m];
        var rightHere = new bool[m];
        foreach (var r in labelled)
        {
            int right = 0, wrong = 0;
            for (int a = 0; a < m; a++)
            {
                rightHere[a] = Right(r, idx[a]);
                if (rightHere[a]) { right++; rightCount[a]++; }
                else if (Wrong(r, idx[a])) wrong++;
            }
            majority += MajorityCredit(right, m);
            abstain += AbstainingMajorityCredit(right, wrong);
            if (right > 0) oracle++;
            for (int a = 0; a < m; a++)
                if (rightHere[a])
                    for (int b = 0; b < m; b++)
                        if (!rightHere[b]) disagree[a, b]++;
        }

        int best = 0;
        for (int a = 1; a < m; a++)
            if (rightCount[a] > rightCount[best]) best = a;
        var matrix = Enumerable.Range(0, m)
            .Select(a => (IReadOnlyList<double>)Enumerable.Range(0, m).Select(b => n == 0 ? 0 : disagree[a, b] / (double)n).ToArray())
            .ToArray();
        return new PoolStatistics(
            names,
            m == 0 ? "" : names[best],
            m == 0 ? null : Share(rightCount[best]),
            m == 0 ? null : Share(majority),
            m == 0 ? null : Share(abstain),
            m == 0 ? null : Share(oracle),
            m == 0 ? null : Share(Hindsight(labelled, idx, r => r.Domain ?? NoDomain)),
            m == 0 ? null : Share(Hindsight(labelled, idx, r => r.Group)),
            matrix);
    }

    /// <summary>Right answers when the best pool RM is picked separately for each part (chosen with hindsight).</summary>
    private static int Hindsight(List<Row> labelled, int[] idx, Func<Row, string> part) =>
        labelled.GroupBy(part, StringComparer.Ordinal)
            .Sum(g => idx.Max(k => g.Count(r => Right(r, k))));

    private static List<DomainStatistics> ByDomain(string[] names, int[] idx, List<Row> labelled)
    {
        if (idx.Length == 0) return [];
        return labelled.GroupBy(r => r.Domain ?? NoDomain, StringComparer.Ordinal)
            .OrderBy(g => g.Key == NoDomain ? 1 : 0).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var rows = g.ToList();
                var acc = new Dictionary<string, double>(StringComparer.Ordinal);
                for (int a = 0; a < idx.Length; a++) acc[names[a]] = rows.Count(r => Right(r, idx[a])) / (double)rows.Count;
                int best = 0;
                for (int a = 1; a < idx.Length; a++)
                    if (acc[names[a]] > acc[names[best]]) best = a;
                return new DomainStatistics(g.Key, rows.Count, acc,
                    rows.Sum(r => MajorityCredit(idx.Count(k => Right(r, k)), idx.Length)) / rows.Count,
                    rows.Count(r => idx.Any(k => Right(r, k))) / (double)rows.Count,
                    names[best], acc[names[best]]);
            })
            .ToList();
    }
}
