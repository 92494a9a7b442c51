namespace BayesianRouter.Simulation;

/// <summary>Mean, sample standard deviation and a 95% Student-t interval of per-seed values.</summary>
public sealed record Summary(double Mean, double Std, double CiLow, double CiHigh, int N)
{
    public static Summary Of(IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n == 0) return new Summary(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double mean = values.Average();
        if (n == 1) return new Summary(mean, 0, mean, mean, 1);
        double var = values.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double std = Math.Sqrt(var);
        double half = StudentT975(n - 1) * std / Math.Sqrt(n);
        return new Summary(mean, std, mean - half, mean + half, n);
    }

    /// <summary>The 0.975 quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then normal).</summary>
    public static double StudentT975(int df)
    {
        ReadOnlySpan<double> table =
        [
            12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
            2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
            2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
        ];
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df));
        return df <= table.Length ? table[df - 1] : 1.959964;
    }
}
