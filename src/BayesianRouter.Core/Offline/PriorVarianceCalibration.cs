using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.Features;

namespace BayesianRouter.Offline;

/// <summary>
/// sigma_w^2 of the paper's online model (prior w_n ~ N(E_bt[n], sigma_w^2 I), section 3.4) calibrated on held-out
/// offline pairs, so that the prior's uncertainty is what the offline router's errors there show instead of one fixed
/// 0.02. At the prior, a Thompson draw of arm n's score is h^T w_n ~ N(s_n(h), sigma_w^2 |h|^2) (s_n = the offline BT
/// score), independently across arms, so the probability that the draw picks an RM that is right on a pair is exact
/// (<see cref="ChoiceProbabilities"/>). Among the candidates, the chosen sigma_w^2 maximises the mean log of that
/// probability over the held-out pairs (a proper scoring rule: a prior too sure of itself is punished on the pairs
/// where the offline router is wrong, one too unsure on the pairs where it is right); pairs on which every RM or none
/// is right say nothing and are skipped. Candidates within <see cref="Tolerance"/> of the best count as tied (their
/// draws leave a right choice for a wrong one less than once in 10^9 pairs) and the largest of them is kept. Where the
/// offline router is right on every held-out pair this is the largest variance that still (almost) never leaves its
/// choice there: the online stage explores little and moves slowly (do no harm); where it is wrong on a share of pairs,
/// a larger value whose draws leave its choice about as often as that choice is wrong.
/// </summary>
public static class PriorVarianceCalibration
{
    /// <summary>The candidates: 1e-4 to 1, about half a decade apart, the paper's 0.02 among them.</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.3, 1];

    /// <summary>Mean log-probabilities closer than this to the best count as tied.</summary>
    public const double Tolerance = 1e-9;

    /// <summary>
    /// Scores every candidate on the labelled pairs as <paramref name="router"/> (which must not have trained on them)
    /// sees them, and picks one (see the class summary).
    /// </summary>
    public static PriorVarianceChoice Fit(OfflineRouter router, IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<double>? grid = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        if (pairs.Count != embeddings.Count) throw new ArgumentException($"{embeddings.Count} embeddings for {pairs.Count} pairs");
        var candidates = grid ?? DefaultGrid;
        if (candidates.Count == 0 || candidates.Any(v => !(v > 0) || !double.IsFinite(v)))
            throw new ArgumentException("prior variance candidates must be finite numbers > 0, at least one");
        var rows = new List<(double[] Scores, double Norm, bool[] Right)>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var right = router.Pool.Select(rm => pairs[i].IsRight(rm)).ToArray();
            if (right.All(r => r) || !right.Any(r => r)) continue;
            var h = router.Features(embeddings[i], pairs[i].Domain);
            rows.Add((router.BtScores(h), Math.Sqrt(h.Sum(x => x * x)), right));
        }
        var scores = new double[candidates.Count];
        for (int c = 0; c < candidates.Count; c++)
        {
            double sd = Math.Sqrt(candidates[c]), total = 0;
            foreach (var (s, norm, right) in rows)
            {
                var p = ChoiceProbabilities(s, Enumerable.Repeat(sd * norm, s.Length).ToArray());
                double hit = 0, miss = 0;
                for (int n = 0; n < p.Length; n++)
                    if (right[n]) hit += p[n];
                    else miss += p[n];
                // log P(right), from the smaller of the two sides so that a tiny miss is not lost to rounding
                total += hit > 0.5 ? Math.Log(1 - Math.Min(miss, 0.5)) : Math.Log(Math.Max(hit, 1e-12));
            }
            scores[c] = rows.Count == 0 ? 0 : total / rows.Count;
        }
        double top = scores.Max();
        int best = -1;
        for (int c = 0; c < candidates.Count; c++)
            if (scores[c] >= top - Tolerance && (best < 0 || candidates[c] > candidates[best])) best = c;
        return new PriorVarianceChoice(candidates[best], candidates.ToArray(), scores, rows.Count);
    }

    /// <summary>
    /// P(arm n has the largest draw) for independent normal draws N(means[n], sds[n]^2), by the one-dimensional integral
    /// P(n) = E_z[prod_{k != n} Phi((means[n] + sds[n] z - means[k]) / sds[k])] (trapezoid over z in [-8, 8]); an arm with
    /// sd 0 is a point mass. The probabilities sum to 1 up to the quadrature error (about 1e-7).
    /// </summary>
    public static double[] ChoiceProbabilities(IReadOnlyList<double> means, IReadOnlyList<double> sds)
    {
        int arms = means.Count;
        if (sds.Count != arms) throw new ArgumentException($"{sds.Count} standard deviations for {arms} means");
        var p = new double[arms];
        const int steps = 320;
        const double lo = -8, width = 16.0 / steps;
        for (int n = 0; n < arms; n++)
        {
            if (sds[n] == 0)
            {
                p[n] = Beats(n, means[n]);
                continue;
            }
            double sum = 0;
            for (int t = 0; t <= steps; t++)
            {
                double z = lo + t * width;
                double weight = (t == 0 || t == steps ? 0.5 : 1) * width * Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);
                sum += weight * Beats(n, means[n] + sds[n] * z);
            }
            p[n] = sum;
        }
        return p;

        // P(every other arm's draw is below x); ties of point masses go to the lowest index, as the decisions' argmax does
        double Beats(int n, double x)
        {
            double prod = 1;
            for (int k = 0; k < arms && prod > 0; k++)
                if (k != n) prod *= sds[k] > 0 ? Phi((x - means[k]) / sds[k]) : x > means[k] || (x == means[k] && n < k) ? 1 : 0;
            return prod;
        }
    }

    /// <summary>The standard normal CDF (erfc by a Chebyshev fit, relative error below 1.2e-7: Numerical Recipes, 6.2).</summary>
    public static double Phi(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}

/// <summary>The chosen sigma_w^2, every candidate's mean log-probability of a right choice, and the pairs that scored them.</summary>
public sealed record PriorVarianceChoice(double Variance, IReadOnlyList<double> Candidates, IReadOnlyList<double> MeanLogProbability, int Pairs)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"sigma_w^2 = {Variance:G3} (mean log P(right choice) on {Pairs} held-out pairs: {string.Join(", ", Candidates.Select((c, i) => $"{c:G3} {MeanLogProbability[i]:G3}"))})");
}
