namespace BayesianRouter.LinearAlgebra;

/// <summary>
/// The standard normal density and distribution function, with relative accuracy near 1e-13 in both tails (choice
/// probabilities of rare arms are products of far-tail values, so an absolute error of 1e-7 would not do).
/// </summary>
public static class StandardNormal
{
    private const double InvSqrt2Pi = 0.398942280401432677939946059934;

    /// <summary>phi(x) = exp(-x^2 / 2) / sqrt(2 pi).</summary>
    public static double Pdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>
    /// Phi(x) = P(Z &lt;= x). For |x| &lt;= 3, Hart's rational approximation (Computer Approximations, 1968, algorithm
    /// 5666, as given by G. West, "Better approximations to cumulative normal functions", Wilmott 2005), relative error
    /// below 2e-14 there; for x &lt; -3, Laplace's continued fraction Phi(x) = phi(x) / (t + 1/(t + 2/(t + 3/(t + ...))))
    /// with t = -x, evaluated bottom-up from depth 6 + 290 / t^2, where it has converged to a relative 1e-13; for
    /// x &gt; 3, 1 - Phi(-x). Checked against 40-digit values (NormalArgmaxTests).
    /// </summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double t = Math.Abs(x), lower;
        if (t <= 3)
        {
            double p = 3.52624965998911E-02 * t + 0.700383064443688;
            p = p * t + 6.37396220353165;
            p = p * t + 33.912866078383;
            p = p * t + 112.079291497871;
            p = p * t + 221.213596169931;
            p = p * t + 220.206867912376;
            double q = 8.83883476483184E-02 * t + 1.75566716318264;
            q = q * t + 16.064177579207;
            q = q * t + 86.7807322029461;
            q = q * t + 296.564248779674;
            q = q * t + 637.333633378831;
            q = q * t + 793.826512519948;
            q = q * t + 440.413735824752;
            lower = Math.Exp(-0.5 * t * t) * p / q;
        }
        else if (double.IsPositiveInfinity(t)) lower = 0;
        else
        {
            double f = t;
            for (int k = (int)(6 + 290 / (t * t)); k >= 1; k--) f = t + k / f;
            lower = Pdf(t) / f;
        }
        return x <= 0 ? lower : 1 - lower;
    }
}
