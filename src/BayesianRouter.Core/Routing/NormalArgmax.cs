using BayesianRouter.LinearAlgebra;

namespace BayesianRouter.Routing;

/// <summary>
/// The exact probability that a Thompson-sampling decision picks an arm. Given the router's state, a decision draws one
/// score per arm, X_m ~ N(mu_m, sd_m^2) independently across arms (<see cref="ScoreMoments"/>), and takes the argmax
/// (lowest index on ties). So
/// <code>
///   P(argmax = n) = integral phi(z) prod_{m != n} P(X_m &lt; mu_n + sd_n z) dz
/// </code>
/// a one-dimensional integral (an arm with sd 0 is a point mass: then no integral is needed, and as another arm it cuts
/// the range of z). It is computed by adaptive Gauss-Kronrod (7/15 points, QUADPACK's error estimate) to a relative error of 1e-9,
/// with the standard normal CDF accurate in both tails (<see cref="StandardNormal"/>), so the probability of a rarely
/// chosen arm keeps its relative precision: what inverse-propensity weights need (docs/ope.md).
/// An arm whose mean is negative infinity (not affordable under a budget) is never chosen.
/// </summary>
public static class NormalArgmax
{
    /// <summary>Relative accuracy the integral is refined to.</summary>
    public const double RelativeTolerance = 1e-9;

    // Phi(-12.5) and phi(12.5) are below 1e-34.
    private const double TailZ = 12.5;
    private const int InitialPieces = 4, MaxPieces = 2048;
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>P(argmax = <paramref name="arm"/>) for independent normal scores.</summary>
    /// <param name="means">Per-arm score means (negative infinity: the arm is never chosen).</param>
    /// <param name="sds">Per-arm standard deviations (&gt;= 0).</param>
    public static double Probability(ReadOnlySpan<double> means, ReadOnlySpan<double> sds, int arm) =>
        Probability(means, sds, arm, out _);

    /// <summary>P(argmax = <paramref name="arm"/>), and the quadrature's estimate of its absolute error.</summary>
    public static double Probability(ReadOnlySpan<double> means, ReadOnlySpan<double> sds, int arm, out double error)
    {
        int arms = means.Length;
        if (sds.Length != arms) throw new ArgumentException($"{sds.Length} standard deviations for {arms} means");
        if (arm < 0 || arm >= arms) throw new ArgumentOutOfRangeException(nameof(arm), arm, $"not an arm of {arms}");
        for (int m = 0; m < arms; m++)
        {
            if (double.IsNaN(means[m]) || double.IsPositiveInfinity(means[m])) throw new ArgumentException($"arm {m}: mean {means[m]} is not a number or negative infinity");
            if (!(sds[m] >= 0) || !double.IsFinite(sds[m])) throw new ArgumentException($"arm {m}: standard deviation {sds[m]} is not a finite number >= 0");
        }
        error = 0;
        if (double.IsNegativeInfinity(means[arm]))
        {
            // every arm out of reach: the argmax of all -infinity is the lowest index
            for (int m = 0; m < arm; m++) if (double.IsNegativeInfinity(means[m])) return 0;
            for (int m = arm + 1; m < arms; m++) if (!double.IsNegativeInfinity(means[m])) return 0;
            return 1;
        }
        double mu = means[arm], sd = sds[arm];
        if (sd == 0) return BelowAll(means, sds, arm, mu);

        // The range of z: phi(z) and every competitor's Phi factor are below 1e-35 outside it, so what is cut is below
        // 1e-35 (absolutely; only a probability under about 1e-30 loses relative precision). Point masses m cut it
        // exactly: arm n beats one only where its draw exceeds it (ties go to the lower index). Each continuous
        // competitor's Phi factor rises from 0 to 1 around z = (mu_m - mu_n) / sd_n, steeply where sd_m is small
        // against sd_n: those points start the partition, so the adaptive refinement needs not find them.
        double lo = -TailZ, hi = TailZ;
        var breaks = new List<double>(arms);
        for (int m = 0; m < arms; m++)
        {
            if (m == arm || double.IsNegativeInfinity(means[m])) continue;
            double centre = (means[m] - mu) / sd;
            if (sds[m] == 0) lo = Math.Max(lo, centre);
            else
            {
                lo = Math.Max(lo, centre - TailZ * sds[m] / sd);
                breaks.Add(centre);
            }
        }
        if (lo >= hi) return 0;
        breaks.RemoveAll(b => b <= lo || b >= hi);

        var m0 = means.ToArray();
        var s0 = sds.ToArray();
        double Integrand(double z) => StandardNormal.Pdf(z) * BelowAll(m0, s0, arm, mu + sd * z);
        return Adaptive(Integrand, lo, hi, breaks, out error);
    }

    /// <summary>Every arm's choice probability (they sum to 1 up to the quadrature's error).</summary>
    public static double[] Probabilities(ReadOnlySpan<double> means, ReadOnlySpan<double> sds)
    {
        var p = new double[means.Length];
        for (int n = 0; n < p.Length; n++) p[n] = Probability(means, sds, n);
        return p;
    }

    /// <summary>The probability of <paramref name="arm"/> in row <paramref name="pair"/> of <paramref name="moments"/>,
    /// optionally after a per-arm shift of the scores (a budget's price; negative infinity for an arm it cannot afford).</summary>
    public static double Probability(ScoreMoments moments, int pair, int arm, ScoreTransform? shift)
    {
        ArgumentNullException.ThrowIfNull(moments);
        int arms = moments.Arms;
        var means = new double[arms];
        var sds = new double[arms];
        for (int n = 0; n < arms; n++)
        {
            means[n] = moments.Mean(pair, n);
            sds[n] = moments.StdDev(pair, n);
        }
        shift?.Invoke(means);
        return Probability(means, sds, arm);
    }

    /// <summary>P(every other arm's draw is below x): ties with a point mass go to the lower index, as the argmax does.</summary>
    private static double BelowAll(ReadOnlySpan<double> means, ReadOnlySpan<double> sds, int arm, double x)
    {
        double product = 1;
        for (int m = 0; m < means.Length && product > 0; m++)
        {
            if (m == arm || double.IsNegativeInfinity(means[m])) continue;
            product *= sds[m] > 0 ? StandardNormal.Cdf((x - means[m]) / sds[m])
                : x > means[m] || (x == means[m] && arm < m) ? 1 : 0;
        }
        return product;
    }

    // Gauss-Kronrod 7/15 (QUADPACK's qk15): Kronrod nodes in [0, 1), their weights, and the Gauss weights of the odd nodes.
    private static readonly double[] Nodes =
    [
        0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
        0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
        0.207784955007898467600689403773245, 0,
    ];

    private static readonly double[] KronrodWeights =
    [
        0.022935322010529224963732008058970, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
        0.140653259715525918745189590510238, 0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
        0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
    ];

    private static readonly double[] GaussWeights =
    [
        0.129484966168869693270611432679082, 0.279705391489276667901467771423780, 0.381830050505118944950369775488975,
        0.417959183673469387755102040816327,
    ];

    /// <summary>
    /// One Gauss-Kronrod panel: the 15-point value and QUADPACK's error estimate (qk15): |K15 - G7| rescaled by the
    /// integrand's variation on the panel, resasc min(1, (200 |K15 - G7| / resasc)^1.5), and never below 50 machine
    /// epsilons of the panel's absolute integral. (|K15 - G7| alone is the 7-point rule's error, far above the 15-point
    /// rule's on smooth integrands, and would refine for nothing.)
    /// </summary>
    internal static (double Value, double Error) Panel(Func<double, double> f, double a, double b)
    {
        double c = 0.5 * (a + b), h = 0.5 * (b - a);
        Span<double> left = stackalloc double[7], right = stackalloc double[7];
        double fc = f(c);
        double kronrod = KronrodWeights[7] * fc, gauss = GaussWeights[3] * fc, absolute = KronrodWeights[7] * Math.Abs(fc);
        for (int j = 0; j < 7; j++)
        {
            double x = h * Nodes[j];
            left[j] = f(c - x);
            right[j] = f(c + x);
            kronrod += KronrodWeights[j] * (left[j] + right[j]);
            absolute += KronrodWeights[j] * (Math.Abs(left[j]) + Math.Abs(right[j]));
            if (j % 2 == 1) gauss += GaussWeights[j / 2] * (left[j] + right[j]);
        }
        double mean = 0.5 * kronrod, variation = KronrodWeights[7] * Math.Abs(fc - mean);
        for (int j = 0; j < 7; j++) variation += KronrodWeights[j] * (Math.Abs(left[j] - mean) + Math.Abs(right[j] - mean));
        double error = Math.Abs((kronrod - gauss) * h);
        variation *= Math.Abs(h);
        if (variation != 0 && error != 0) error = variation * Math.Min(1, Math.Pow(200 * error / variation, 1.5));
        error = Math.Max(error, 50 * MachineEpsilon * absolute * Math.Abs(h));
        return (kronrod * h, error);
    }

    /// <summary>
    /// Adaptive bisection of the panel with the largest error until the total error is within tolerance (relative, or
    /// 1e-35 absolute); the range starts cut at <paramref name="breaks"/> and into at least <see cref="InitialPieces"/>.
    /// </summary>
    private static double Adaptive(Func<double, double> f, double lo, double hi, List<double> breaks, out double error)
    {
        var queue = new PriorityQueue<(double A, double B, double Value, double Error), double>();
        double total = 0;
        error = 0;
        var points = new List<double>(breaks.Count + InitialPieces + 1) { lo, hi };
        points.AddRange(breaks);
        for (int i = 1; i < InitialPieces; i++) points.Add(lo + i * (hi - lo) / InitialPieces);
        points.Sort();
        for (int i = 0; i + 1 < points.Count; i++)
        {
            double a = points[i], b = points[i + 1];
            if (b - a <= 1e-12 * (hi - lo)) continue;
            var (v, e) = Panel(f, a, b);
            total += v;
            error += e;
            queue.Enqueue((a, b, v, e), -e);
        }
        int pieces = queue.Count;
        while (error > RelativeTolerance * Math.Abs(total) && error > 1e-35 && pieces < MaxPieces)
        {
            var worst = queue.Dequeue();
            double mid = 0.5 * (worst.A + worst.B);
            var left = Panel(f, worst.A, mid);
            var right = Panel(f, mid, worst.B);
            total += left.Value + right.Value - worst.Value;
            error += left.Error + right.Error - worst.Error;
            queue.Enqueue((worst.A, mid, left.Value, left.Error), -left.Error);
            queue.Enqueue((mid, worst.B, right.Value, right.Error), -right.Error);
            pieces++;
        }
        // the running sums drift by rounding: recompute them from the panels kept
        total = 0;
        error = 0;
        foreach (var (_, _, v, e) in queue.UnorderedItems.Select(x => x.Element))
        {
            total += v;
            error += e;
        }
        return Math.Clamp(total, 0, 1);
    }
}
