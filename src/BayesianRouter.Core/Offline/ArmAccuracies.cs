using BayesianRouter.Data;

namespace BayesianRouter.Offline;

/// <summary>
/// How often each RM of a pool is right on labelled pairs (the paper's delta = 1: it strictly prefers the preferred
/// response; a tie or a missing judgment is not right), over all pairs and per domain (pairs without one under
/// <see cref="NoDomain"/>). What the offline side says about the single RMs: the best single RM on the training part
/// (what a user deploys without a router), the offline router's fallback when it is not better than that RM, and the
/// domain-greedy baseline's pseudo-counts.
/// </summary>
public sealed class ArmAccuracies
{
    /// <summary>The domain key of pairs that have none.</summary>
    public const string NoDomain = "";

    private readonly Dictionary<string, (int[] Right, int Pairs)> _domains;

    private ArmAccuracies(IReadOnlyList<string> pool, int[] right, int pairs, Dictionary<string, (int[] Right, int Pairs)> domains)
    {
        Pool = pool;
        Right = right;
        Pairs = pairs;
        _domains = domains;
    }

    /// <summary>The RMs, in arm order.</summary>
    public IReadOnlyList<string> Pool { get; }

    /// <summary>Labelled pairs counted.</summary>
    public int Pairs { get; }

    /// <summary>Pairs each arm is right on.</summary>
    public IReadOnlyList<int> Right { get; }

    /// <summary>Counts the pairs of <paramref name="pairs"/> that have a ground truth.</summary>
    public static ArmAccuracies Of(IEnumerable<PreferencePair> pairs, IReadOnlyList<string> pool)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(pool);
        var right = new int[pool.Count];
        int total = 0;
        var domains = new Dictionary<string, (int[] Right, int Pairs)>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            if (p.Preferred == null) continue;
            var key = p.Domain ?? NoDomain;
            if (!domains.TryGetValue(key, out var d)) d = (new int[pool.Count], 0);
            for (int n = 0; n < pool.Count; n++)
                if (p.IsRight(pool[n]))
                {
                    right[n]++;
                    d.Right[n]++;
                }
            domains[key] = (d.Right, d.Pairs + 1);
            total++;
        }
        return new ArmAccuracies(pool.ToArray(), right, total, domains);
    }

    /// <summary>Share of the labelled pairs arm <paramref name="arm"/> is right on (NaN without pairs).</summary>
    public double Accuracy(int arm) => Pairs == 0 ? double.NaN : Right[arm] / (double)Pairs;

    /// <summary>The arm with the highest accuracy (lowest index on ties): the best single RM on these pairs.</summary>
    public int Best
    {
        get
        {
            int best = 0;
            for (int n = 1; n < Right.Count; n++) if (Right[n] > Right[best]) best = n;
            return best;
        }
    }

    /// <summary>The domains met (pairs without one under <see cref="NoDomain"/>).</summary>
    public IReadOnlyCollection<string> Domains => _domains.Keys;

    /// <summary>Right counts per arm and the number of labelled pairs of a domain; null when no pair had it.</summary>
    public (IReadOnlyList<int> Right, int Pairs)? InDomain(string? domain) =>
        _domains.TryGetValue(domain ?? NoDomain, out var d) ? (d.Right, d.Pairs) : null;
}
