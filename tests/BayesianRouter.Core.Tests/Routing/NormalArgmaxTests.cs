using BayesianRouter.LinearAlgebra;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Routing;

public class NormalArgmaxTests
{
    [Theory]
    // references: mpmath.ncdf at 40 digits, rounded to double
    [InlineData(-37.5, 4.605353009581955e-308)]
    [InlineData(-20, 2.7536241186062337e-89)]
    [InlineData(-10, 7.619853024160525e-24)]
    [InlineData(-5, 2.866515718791939e-07)]
    [InlineData(-3.0000001, 0.0013498975884453199)]
    [InlineData(-3, 0.0013498980316300946)]
    [InlineData(-2.5, 0.006209665325776135)]
    [InlineData(-2, 0.022750131948179209)]
    [InlineData(-1, 0.15865525393145705)]
    [InlineData(-0.1, 0.460172162722971)]
    [InlineData(0, 0.5)]
    [InlineData(0.5, 0.6914624612740131)]
    [InlineData(1.959963984540054, 0.975)]
    [InlineData(2.9999, 0.998649658717045)]
    [InlineData(3.0001, 0.9986505450867392)]
    [InlineData(6, 0.9999999990134123)]
    public void The_normal_cdf_keeps_its_relative_precision_in_both_tails(double x, double expected) =>
        Assert.True(Math.Abs(StandardNormal.Cdf(x) - expected) <= (x < -37 ? 1e-12 : 2e-13) * expected, $"Phi({x}) = {StandardNormal.Cdf(x):R}, expected {expected:R}");

    [Fact]
    public void The_kronrod_panel_integrates_polynomials_of_degree_22_exactly_and_the_gauss_part_degree_13()
    {
        // K15 is exact to degree 22, G7 to degree 13: on x^14 the panel's error estimate (|K15 - G7|) must be > 0.
        for (int degree = 0; degree <= 22; degree++)
        {
            int d = degree;
            var (value, _) = NormalArgmax.Panel(x => Math.Pow(x, d), -1, 2);
            double exact = (Math.Pow(2, d + 1) - Math.Pow(-1, d + 1)) / (d + 1);
            Assert.True(Math.Abs(value - exact) <= 1e-12 * Math.Max(1, Math.Abs(exact)), $"degree {d}: {value} vs {exact}");
        }
        Assert.Equal(0, NormalArgmax.Panel(x => Math.Pow(x, 13), -1, 2).Error, 9);
        Assert.True(NormalArgmax.Panel(x => Math.Pow(x, 14), -1, 2).Error > 1e-6);
    }

    [Fact]
    public void Two_arms_match_the_closed_form_down_to_rare_choices()
    {
        // P(X0 > X1) = Phi((mu0 - mu1) / sqrt(sd0^2 + sd1^2)), to a relative error of 1e-9, also where it is 1e-20.
        var rng = new SeededRandom(7, 0);
        for (int t = 0; t < 300; t++)
        {
            double sd0 = 0.01 + 2 * rng.NextDouble(), sd1 = 0.01 + 2 * rng.NextDouble();
            double gap = (rng.NextDouble() * 20 - 10) * Math.Sqrt(sd0 * sd0 + sd1 * sd1);
            double[] means = [gap, 0], sds = [sd0, sd1];
            double expected = StandardNormal.Cdf(gap / Math.Sqrt(sd0 * sd0 + sd1 * sd1));
            double p = NormalArgmax.Probability(means, sds, 0, out double error);
            Assert.True(Math.Abs(p - expected) <= 2e-9 * expected + 1e-300, $"gap {gap}, sds {sd0} {sd1}: {p:R} vs {expected:R}");
            Assert.True(error <= 2e-9 * expected + 1e-300, $"error estimate {error} for {expected}");
        }
    }

    [Fact]
    public void Probabilities_sum_to_one_and_match_the_frequency_of_draws()
    {
        var rng = new SeededRandom(3, 0);
        for (int t = 0; t < 40; t++)
        {
            int arms = 2 + t % 7;
            var means = Enumerable.Range(0, arms).Select(_ => rng.NextGaussian()).ToArray();
            var sds = Enumerable.Range(0, arms).Select(n => n % 3 == 2 && t % 2 == 0 ? 0 : 0.05 + rng.NextDouble()).ToArray();
            var p = NormalArgmax.Probabilities(means, sds);
            Assert.Equal(1.0, p.Sum(), 9);
            if (t % 8 != 0) continue;
            const int draws = 200_000;
            var hits = new int[arms];
            var x = new double[arms];
            for (int k = 0; k < draws; k++)
            {
                for (int n = 0; n < arms; n++) x[n] = means[n] + sds[n] * rng.NextGaussian();
                hits[Array.IndexOf(x, x.Max())]++;
            }
            for (int n = 0; n < arms; n++)
                Assert.InRange(hits[n] / (double)draws, p[n] - 5 * Math.Sqrt(p[n] * (1 - p[n]) / draws) - 1e-9, p[n] + 5 * Math.Sqrt(p[n] * (1 - p[n]) / draws) + 1e-9);
        }
    }

    [Fact]
    public void Point_masses_ties_and_unaffordable_arms()
    {
        Assert.Equal([0.0, 1.0, 0.0], NormalArgmax.Probabilities([0, 2, 2], [0, 0, 0]));       // a tie goes to the lower index
        Assert.Equal([0.5, 0.5], NormalArgmax.Probabilities([0, 0], [0, 1]), (a, b) => Math.Abs(a - b) < 1e-12);
        // arm 1 is a point mass at 1: arm 0 wins only above it, P = 1 - Phi(1)
        Assert.Equal(1 - StandardNormal.Cdf(1), NormalArgmax.Probability([0, 1], [1, 0], 0), 12);
        // an arm at negative infinity (not affordable) never wins; with every arm there, the lowest index does
        Assert.Equal([0.0, 1.0], NormalArgmax.Probabilities([double.NegativeInfinity, 0], [1, 1]));
        Assert.Equal([1.0, 0.0], NormalArgmax.Probabilities([double.NegativeInfinity, double.NegativeInfinity], [1, 1]));
        Assert.Throws<ArgumentException>(() => NormalArgmax.Probability([0, double.NaN], [1, 1], 0));
        Assert.Throws<ArgumentException>(() => NormalArgmax.Probability([0, 0], [1, -1], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NormalArgmax.Probability([0, 0], [1, 1], 2));
    }
}
