namespace BayesianRouter.Offline;

/// <summary>
/// The per-domain incumbent of the offline stage's do-no-harm choice (issue 17, second pass): for each domain, the RM
/// with the highest empirical-Bayes accuracy there. Arm n's accuracy in domain d is its right count there shrunk
/// towards its accuracy over all pairs with a fixed number k of pseudo-pairs (a beta prior of strength k centred on the
/// arm's overall accuracy p_n):
/// <code>
///   p_nd = (R_nd + k p_n) / (N_d + k)          k = PseudoPairs (10 by default, fixed a priori)
/// </code>
/// A domain without labelled pairs (or one the offline side never saw) gets p_nd = p_n: the best single RM. The table's
/// scores are the log-odds logit(clamp(p, 0.01, 0.99)), as <see cref="OfflineRouter.ShrinkToSingle"/> scores the RMs;
/// its pick is their argmax (lowest index on ties). <see cref="OfflineRouter.WithDomainTable"/> encodes it in an
/// artifact.
/// </summary>
public sealed class DomainTable
{
    /// <summary>
    /// k: pseudo-pairs at the arm's overall accuracy added to each (domain, arm) count. Fixed before any reported stream
    /// was run, not tuned: the weight the domain-greedy baseline gives its prior for a domain the offline part does not
    /// have (one number for both per-domain methods); a domain's own counts dominate once it has more than 10 labelled
    /// pairs.
    /// </summary>
    public const double DefaultPseudoPairs = 10;

    private readonly double[][] _accuracy;     // [domain][arm], shrunk
    private readonly double[] _overall;

    private DomainTable(IReadOnlyList<string> pool, IReadOnlyList<string> domains, double pseudoPairs, double[] overall, double[][] accuracy)
    {
        Pool = pool;
        Domains = domains;
        PseudoPairs = pseudoPairs;
        _overall = overall;
        _accuracy = accuracy;
    }

    /// <summary>The RMs, in arm order.</summary>
    public IReadOnlyList<string> Pool { get; }

    /// <summary>The domains of the table, in the order given (an artifact's domain vocabulary).</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>k, the pseudo-pairs of the shrinkage.</summary>
    public double PseudoPairs { get; }

    /// <summary>
    /// The table for <paramref name="domains"/> from the right counts of <paramref name="counts"/>. Without labelled
    /// pairs every accuracy is 1/2 (every pick is arm 0, as <see cref="ArmAccuracies.Best"/>).
    /// </summary>
    public static DomainTable Of(ArmAccuracies counts, IReadOnlyList<string> domains, double pseudoPairs = DefaultPseudoPairs)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(domains);
        if (!(pseudoPairs > 0) || double.IsInfinity(pseudoPairs)) throw new ArgumentOutOfRangeException(nameof(pseudoPairs), pseudoPairs, "the pseudo-pairs must be positive and finite");
        if (domains.Distinct(StringComparer.Ordinal).Count() != domains.Count) throw new ArgumentException("a domain is listed twice");
        int arms = counts.Pool.Count;
        var overall = Enumerable.Range(0, arms).Select(n => counts.Pairs == 0 ? 0.5 : counts.Accuracy(n)).ToArray();
        var accuracy = domains.Select(d =>
        {
            var c = counts.InDomain(d);
            return Enumerable.Range(0, arms).Select(n => c is { } x
                ? (x.Right[n] + pseudoPairs * overall[n]) / (x.Pairs + pseudoPairs)
                : overall[n]).ToArray();
        }).ToArray();
        return new DomainTable(counts.Pool.ToArray(), domains.ToArray(), pseudoPairs, overall, accuracy);
    }

    /// <summary>p_n: arm <paramref name="arm"/>'s accuracy over all labelled pairs (1/2 without any).</summary>
    public double OverallAccuracy(int arm) => _overall[arm];

    /// <summary>p_nd: the shrunk accuracy of arm <paramref name="arm"/> in a domain (p_n for a domain not in the table or null).</summary>
    public double Accuracy(string? domain, int arm)
    {
        int d = IndexOf(domain);
        return d < 0 ? _overall[arm] : _accuracy[d][arm];
    }

    /// <summary>The table's score of every arm in a domain: logit(clamp(p_nd, 0.01, 0.99)).</summary>
    public double[] Scores(string? domain) => Enumerable.Range(0, Pool.Count).Select(n => Logit(Accuracy(domain, n))).ToArray();

    /// <summary>The table's pick in a domain: the arm with the highest score (lowest index on ties); the best single RM for an unknown domain.</summary>
    public int Choose(string? domain)
    {
        var s = Scores(domain);
        int best = 0;
        for (int n = 1; n < s.Length; n++) if (s[n] > s[best]) best = n;
        return best;
    }

    /// <summary>log(p / (1 - p)) of p clamped to [0.01, 0.99] (the scale of <see cref="OfflineRouter.ShrinkToSingle"/>).</summary>
    public static double Logit(double p)
    {
        p = Math.Clamp(p, 0.01, 0.99);
        return Math.Log(p / (1 - p));
    }

    private int IndexOf(string? domain)
    {
        if (domain == null) return -1;
        for (int d = 0; d < Domains.Count; d++) if (string.Equals(Domains[d], domain, StringComparison.Ordinal)) return d;
        return -1;
    }
}
