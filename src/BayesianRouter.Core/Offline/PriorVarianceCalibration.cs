using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.LinearAlgebra;
using BayesianRouter.Routing;

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
    /// P(arm n has the largest draw) for independent normal draws N(means[n], sds[n]^2) (<see cref="NormalArgmax"/>:
    /// the one-dimensional integral, to a relative error of 1e-10); an arm with sd 0 is a point mass.
    /// </summary>
    public static double[] ChoiceProbabilities(IReadOnlyList<double> means, IReadOnlyList<double> sds)
    {
        if (sds.Count != means.Count) throw new ArgumentException($"{sds.Count} standard deviations for {means.Count} means");
        return NormalArgmax.Probabilities(means.ToArray(), sds.ToArray());
    }

    /// <summary>The standard normal CDF (<see cref="StandardNormal.Cdf"/>).</summary>
    public static double Phi(double x) => StandardNormal.Cdf(x);
}

/// <summary>The chosen sigma_w^2, every candidate's mean log-probability of a right choice, and the pairs that scored them.</summary>
public sealed record PriorVarianceChoice(double Variance, IReadOnlyList<double> Candidates, IReadOnlyList<double> MeanLogProbability, int Pairs)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"sigma_w^2 = {Variance:G3} (mean log P(right choice) on {Pairs} held-out pairs: {string.Join(", ", Candidates.Select((c, i) => $"{c:G3} {MeanLogProbability[i]:G3}"))})");
}
