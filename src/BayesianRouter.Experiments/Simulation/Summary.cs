using System.Globalization;

namespace BayesianRouter.Simulation;

/// <summary>
/// Mean, sample standard deviation and a 95% Student-t interval of per-seed values. With one value there is no spread
/// and no interval: <see cref="Std"/>, <see cref="CiLow"/> and <see cref="CiHigh"/> are NaN (null in JSON, "-" in tables).
/// </summary>
public sealed record Summary(double Mean, double Std, double CiLow, double CiHigh, int N)
{
    /// <summary>True when there is an interval (at least two values).</summary>
    public bool HasInterval => N >= 2;

    public static Summary Of(IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n == 0) return new Summary(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double mean = values.Average();
        if (n == 1) return new Summary(mean, double.NaN, double.NaN, double.NaN, 1);
        double var = values.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double std = Math.Sqrt(var);
        double half = StudentT975(n - 1) * std / Math.Sqrt(n);
        return new Summary(mean, std, mean - half, mean + half, n);
    }

    /// <summary>The interval as "[lo, hi]" in <paramref name="format"/>, or "-" without one.</summary>
    public string Interval(string format = "F4") => HasInterval
        ? string.Create(CultureInfo.InvariantCulture, $"[{CiLow.ToString(format, CultureInfo.InvariantCulture)}, {CiHigh.ToString(format, CultureInfo.InvariantCulture)}]")
        : "-";

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

/// <summary>
/// A method's accuracy minus a reference method's, seed by seed (the same split, stream and feedback in each seed): the
/// mean difference, its 95% Student-t interval (NaN with one seed: no interval is claimed), and in how many seeds the
/// method was strictly higher. <paramref name="Reference"/> is the role (<c>offline-only</c>, <c>best-single</c>,
/// <c>best-single-train</c>, <c>win-stay</c>), <paramref name="ReferenceMethod"/> the method that played it.
/// </summary>
public sealed record PairedDifference(string Reference, string ReferenceMethod, Summary Difference, int SeedsHigher)
{
    /// <summary>The roles every method is compared with, in report order.</summary>
    public static IReadOnlyList<string> References { get; } =
        [MethodCatalogue.OfflineOnly, BestSingle, MethodCatalogue.BestSingleTrain, MethodCatalogue.WinStay];

    /// <summary>The role of the single RM with the highest mean accuracy on the streams (hindsight).</summary>
    public const string BestSingle = "best-single";

    public static PairedDifference Of(string reference, string referenceMethod, IReadOnlyList<double> method, IReadOnlyList<double> other)
    {
        if (method.Count != other.Count) throw new ArgumentException($"{method.Count} seeds against {other.Count}");
        var d = method.Zip(other, (a, b) => a - b).ToArray();
        return new PairedDifference(reference, referenceMethod, Summary.Of(d), method.Zip(other).Count(p => p.First > p.Second));
    }

    /// <summary>"+0.0123 [+0.0040, +0.0206], 9/10 seeds higher" (no interval with one seed).</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        string Signed(double x) => x.ToString("+0.0000;-0.0000;0.0000", inv);
        return (Difference.HasInterval ? $"{Signed(Difference.Mean)} [{Signed(Difference.CiLow)}, {Signed(Difference.CiHigh)}]" : Signed(Difference.Mean))
               + $", higher in {SeedsHigher}/{Difference.N} seeds";
    }
}
