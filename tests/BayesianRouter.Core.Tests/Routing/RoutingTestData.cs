using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Routing;

/// <summary>Seeded random contexts and rewards, and a direct dense solver that shares no code with the library.</summary>
internal static class RoutingTestData
{
    public static double[][] Contexts(SeededRandom rng, int count, int d, double scale = 1.0)
    {
        var rows = new double[count][];
        for (int i = 0; i < count; i++)
        {
            rows[i] = new double[d];
            for (int k = 0; k < d; k++) rows[i][k] = scale * rng.NextGaussian();
        }
        return rows;
    }

    public static ArmFeedback[] Feedback(SeededRandom rng, double[][] contexts, int arms) =>
        contexts.Select(h => new ArmFeedback(h, rng.NextInt(arms), rng.NextDouble())).ToArray();

    /// <summary>Inverse of a dense matrix by Gauss-Jordan elimination with partial pivoting.</summary>
    public static double[,] Inverse(double[,] a)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        var inv = new double[n, n];
        for (int i = 0; i < n; i++) inv[i, i] = 1;
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c])) pivot = r;
            for (int k = 0; k < n; k++)
            {
                (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
                (inv[c, k], inv[pivot, k]) = (inv[pivot, k], inv[c, k]);
            }
            double p = m[c, c];
            for (int k = 0; k < n; k++) { m[c, k] /= p; inv[c, k] /= p; }
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                if (f == 0) continue;
                for (int k = 0; k < n; k++) { m[r, k] -= f * m[c, k]; inv[r, k] -= f * inv[c, k]; }
            }
        }
        return inv;
    }

    /// <summary>
    /// The closed-form Bayesian linear regression posterior of one arm: precision P = I / sigma_w^2 + sum h h^T / sigma^2,
    /// Sigma = P^{-1}, mu = Sigma (mu0 / sigma_w^2 + sum r h / sigma^2).
    /// </summary>
    public static (double[] Mean, double[,] Covariance) ClosedForm(
        int d, double priorVariance, double noiseVariance, double[]? priorMean, IEnumerable<(double[] H, double R)> observations)
    {
        var p = new double[d, d];
        var b = new double[d];
        for (int i = 0; i < d; i++)
        {
            p[i, i] = 1 / priorVariance;
            b[i] = (priorMean?[i] ?? 0) / priorVariance;
        }
        foreach (var (h, r) in observations)
            for (int i = 0; i < d; i++)
            {
                b[i] += r * h[i] / noiseVariance;
                for (int j = 0; j < d; j++) p[i, j] += h[i] * h[j] / noiseVariance;
            }
        var sigma = Inverse(p);
        var mu = new double[d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) mu[i] += sigma[i, j] * b[j];
        return (mu, sigma);
    }

    /// <summary>||x - y|| / ||y|| (Frobenius / Euclidean).</summary>
    public static double RelativeError(IEnumerable<double> x, IEnumerable<double> y)
    {
        double num = 0, den = 0;
        foreach (var (a, b) in x.Zip(y, (a, b) => (a, b)))
        {
            num += (a - b) * (a - b);
            den += b * b;
        }
        return Math.Sqrt(num / den);
    }

    public static IEnumerable<double> Flat(double[,] m) => m.Cast<double>();

    /// <summary>Standard normal CDF.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>Complementary error function (Numerical Recipes erfcc, relative error below 1.2e-7).</summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>Kolmogorov-Smirnov statistic of a sample against a continuous CDF.</summary>
    public static double KolmogorovSmirnov(IEnumerable<double> sample, Func<double, double> cdf)
    {
        var x = sample.OrderBy(v => v).ToArray();
        double d = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double f = cdf(x[i]);
            d = Math.Max(d, Math.Max(f - (double)i / x.Length, (double)(i + 1) / x.Length - f));
        }
        return d;
    }
}
