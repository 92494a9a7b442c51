namespace BayesianRouter.Routing;

/// <summary>
/// For a batch of contexts and every arm: the mean h^T mu_n and variance h^T Sigma_n h of the score h^T w_n under
/// arm n's posterior. A fresh Thompson draw of w_n gives h^T w_n ~ N(mean, variance), independently across arms,
/// so drawing this scalar is the same distribution as drawing w_n. Indexed [pair, arm].
/// </summary>
public sealed class ScoreMoments
{
    internal ScoreMoments(int pairs, int arms)
    {
        Pairs = pairs;
        Arms = arms;
        Means = new double[pairs * arms];
        StdDevs = new double[pairs * arms];
    }

    /// <summary>Moments given as rows: <paramref name="means"/>[pair][arm] and <paramref name="stdDevs"/>[pair][arm] (&gt;= 0).</summary>
    public static ScoreMoments Of(IReadOnlyList<double[]> means, IReadOnlyList<double[]> stdDevs)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(stdDevs);
        if (means.Count == 0 || means.Count != stdDevs.Count) throw new ArgumentException($"{means.Count} rows of means and {stdDevs.Count} of standard deviations: one row per pair, at least one");
        int arms = means[0].Length;
        var m = new ScoreMoments(means.Count, arms);
        for (int p = 0; p < means.Count; p++)
        {
            if (means[p].Length != arms || stdDevs[p].Length != arms) throw new ArgumentException($"pair {p}: {means[p].Length} means and {stdDevs[p].Length} standard deviations for {arms} arms");
            for (int n = 0; n < arms; n++)
            {
                if (!(stdDevs[p][n] >= 0)) throw new ArgumentException($"pair {p}, arm {n}: standard deviation {stdDevs[p][n]} is not >= 0");
                m.Means[p * arms + n] = means[p][n];
                m.StdDevs[p * arms + n] = stdDevs[p][n];
            }
        }
        return m;
    }

    public int Pairs { get; }
    public int Arms { get; }

    /// <summary>h_p^T mu_n at [p * Arms + n].</summary>
    internal double[] Means { get; }

    /// <summary>sqrt(h_p^T Sigma_n h_p) at [p * Arms + n].</summary>
    internal double[] StdDevs { get; }

    public double Mean(int pair, int arm) => Means[pair * Arms + arm];
    public double Variance(int pair, int arm) => StdDevs[pair * Arms + arm] * StdDevs[pair * Arms + arm];
    public double StdDev(int pair, int arm) => StdDevs[pair * Arms + arm];
}
