namespace BayesianRouter.Rewards;

/// <summary>
/// Exact empirical percentiles with linear interpolation between order statistics (numpy's default "linear"
/// method, Hyndman and Fan type 7): for sorted x_0 &lt;= ... &lt;= x_{n-1} and q in [0, 1], the position is
/// h = q (n - 1) and the value x_floor(h) + (h - floor(h)) (x_floor(h)+1 - x_floor(h)).
/// </summary>
public static class Percentile
{
    /// <summary>The q-quantile of ascending-sorted, non-empty <paramref name="sorted"/>.</summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty) throw new ArgumentException("no values to take a percentile of");
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "quantile level must be in [0, 1]");
        double h = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        double frac = h - lo;
        return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
    }

    /// <summary>The q-quantile of any non-empty values (sorts a copy).</summary>
    public static double Of(IEnumerable<double> values, double q)
    {
        var a = values.ToArray();
        Array.Sort(a);
        return OfSorted(a, q);
    }
}
