using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Routing;

namespace BayesianRouter.Offline;

/// <summary>
/// What the online stage takes from held-out offline data (a validation part the offline router did not train on):
/// <list type="bullet">
/// <item>the calibration f_n(h) = sigmoid(a s_n(h) + c) of the BT scores s_n into the probability that RM n is right
/// (one a and c for every arm, so the argmax, hence the cold start, is the offline router's choice); fitted by maximum
/// likelihood (Newton's method) on every (pair, RM) of the validation part;</item>
/// <item>the level variances of <see cref="HierarchicalThompsonRouter"/> by empirical Bayes: the spread of the offline
/// router's errors r - f_n(h) on the validation part, within prompts (sigma^2), between prompts of a domain
/// (tau_p^2), between domains (tau_d^2) and per arm (tau_0^2), each by the method of moments (observed spread minus
/// the part the level below explains), floored at <see cref="Floor"/>.</item>
/// </list>
/// </summary>
public sealed record OnlineCalibration(double Scale, double Offset, HierarchicalOptions Levels)
{
    public const double Floor = 1e-4;

    /// <summary>No calibration data: a = 1, c = 0 and the default level variances.</summary>
    public static OnlineCalibration Default { get; } = new(1, 0, new HierarchicalOptions());

    /// <summary>f_n(h) = sigmoid(a s_n + c) for every arm.</summary>
    public double[] Probabilities(double[] btScores)
    {
        var p = new double[btScores.Length];
        for (int n = 0; n < p.Length; n++) p[n] = Sigmoid(Scale * btScores[n] + Offset);
        return p;
    }

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>Fits the calibration and the level variances of <paramref name="router"/> on labelled validation pairs.</summary>
    public static OnlineCalibration Fit(OfflineRouter router, IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        bool useDomain)
    {
        if (pairs.Count != embeddings.Count) throw new ArgumentException($"{embeddings.Count} embeddings for {pairs.Count} pairs");
        var rows = new List<(double S, double Y, int Arm, string Domain, string Group)>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            if (p.Preferred == null) continue;
            var s = router.BtScores(router.Features(embeddings[i], p.Domain));
            for (int n = 0; n < router.Pool.Count; n++)
            {
                if (!p.Judgments.ContainsKey(router.Pool[n])) continue;
                rows.Add((s[n], p.IsRight(router.Pool[n]) ? 1 : 0, n, useDomain ? p.Domain ?? "" : "", p.Group));
            }
        }
        if (rows.Count < 10) return Default;
        var (a, c) = Logistic(rows.Select(r => r.S).ToArray(), rows.Select(r => r.Y).ToArray());
        var cal = new OnlineCalibration(a, c, new HierarchicalOptions());
        var residuals = rows.Select(r => (r.Arm, r.Domain, r.Group, E: r.Y - Sigmoid(a * r.S + c))).ToList();
        return cal with { Levels = Variances(residuals) };
    }

    /// <summary>
    /// Logistic regression y ~ sigmoid(a s + c) by damped Newton steps on the log-likelihood with a weak Gaussian prior
    /// (a, c ~ N(0, 10^2), so separable data cannot send a to infinity); a is kept positive.
    /// </summary>
    public static (double A, double C) Logistic(double[] s, double[] y)
    {
        const double prior = 1.0 / 100;
        double LogPosterior(double a, double c)
        {
            double l = -0.5 * prior * (a * a + c * c);
            for (int i = 0; i < s.Length; i++)
            {
                double z = a * s[i] + c;
                // log sigmoid(z) for y = 1, log sigmoid(-z) for y = 0, computed stably
                double t = y[i] > 0.5 ? z : -z;
                l -= t >= 0 ? double.LogP1(Math.Exp(-t)) : -t + double.LogP1(Math.Exp(t));
            }
            return l;
        }
        double a0 = 1, c0 = 0, current = LogPosterior(a0, c0);
        for (int it = 0; it < 100; it++)
        {
            double ga = -prior * a0, gc = -prior * c0, haa = prior, hac = 0, hcc = prior;
            for (int i = 0; i < s.Length; i++)
            {
                double p = Sigmoid(a0 * s[i] + c0), w = p * (1 - p), r = y[i] - p;
                ga += r * s[i]; gc += r;
                haa += w * s[i] * s[i]; hac += w * s[i]; hcc += w;
            }
            double det = haa * hcc - hac * hac;
            if (!(det > 0)) break;
            double da = (hcc * ga - hac * gc) / det, dc = (haa * gc - hac * ga) / det;
            double step = 1, next = LogPosterior(a0 + da, c0 + dc);
            while (!(next >= current) && step > 1e-6)
            {
                step /= 2;
                next = LogPosterior(a0 + step * da, c0 + step * dc);
            }
            if (!(next >= current)) break;
            a0 += step * da; c0 += step * dc;
            bool done = current - next > -1e-12 && Math.Abs(step * da) + Math.Abs(step * dc) < 1e-9;
            current = next;
            if (done) break;
        }
        if (!(a0 > 1e-6) || !double.IsFinite(a0)) a0 = 1e-6;
        if (!double.IsFinite(c0)) c0 = 0;
        return (a0, c0);
    }

    /// <summary>Method-of-moments variance components of residuals nested arm > domain > prompt.</summary>
    public static HierarchicalOptions Variances(IReadOnlyList<(int Arm, string Domain, string Group, double E)> residuals)
    {
        var prompts = residuals.GroupBy(r => (r.Arm, r.Domain, r.Group))
            .Select(g => (g.Key.Arm, g.Key.Domain, K: g.Count(), Mean: g.Average(x => x.E), Ss: g.Sum(x => x.E * x.E) - g.Count() * Sq(g.Average(x => x.E))))
            .ToList();
        // sigma^2: pooled within-prompt variance
        double within = prompts.Sum(p => p.Ss), df = prompts.Sum(p => p.K - 1);
        double sigma2 = df > 0 ? Math.Max(Floor, within / df) : 0.19;
        // tau_p^2: spread of prompt means around their domain's mean, less their sampling variance
        var domains = prompts.GroupBy(p => (p.Arm, p.Domain)).ToList();
        double between = 0, noise = 0, dfp = 0;
        foreach (var d in domains)
        {
            if (d.Count() < 2) continue;
            double m = d.Average(p => p.Mean);
            between += d.Sum(p => Sq(p.Mean - m));
            noise += d.Sum(p => sigma2 / p.K) * (d.Count() - 1) / d.Count();
            dfp += d.Count() - 1;
        }
        double tauP = dfp > 0 ? Math.Max(Floor, (between - noise) / dfp) : 0.05;
        // tau_d^2: spread of domain means around the arm's mean, less what the prompts explain
        var domainMeans = domains.Select(d => (d.Key.Arm, Mean: d.Average(p => p.Mean),
            Var: (tauP + sigma2 / d.Average(p => (double)p.K)) / d.Count())).ToList();
        double betweenD = 0, noiseD = 0, dfd = 0;
        foreach (var arm in domainMeans.GroupBy(d => d.Arm))
        {
            if (arm.Count() < 2) continue;
            double m = arm.Average(d => d.Mean);
            betweenD += arm.Sum(d => Sq(d.Mean - m));
            noiseD += arm.Sum(d => d.Var) * (arm.Count() - 1) / arm.Count();
            dfd += arm.Count() - 1;
        }
        double tauD = dfd > 0 ? Math.Max(Floor, (betweenD - noiseD) / dfd) : Floor;
        // tau_0^2: each arm's mean error, less its sampling variance
        var arms = domainMeans.GroupBy(d => d.Arm).Select(a => (Mean: a.Average(d => d.Mean), Var: (tauD + a.Average(d => d.Var)) / a.Count())).ToList();
        double tau0 = Math.Max(Floor, arms.Average(a => Sq(a.Mean) - a.Var));
        return new HierarchicalOptions { GlobalVariance = tau0, DomainVariance = tauD, PromptVariance = tauP, NoiseVariance = sigma2 };
    }

    private static double Sq(double x) => x * x;

    /// <summary>Artifact metadata keys (<c>online.*</c>) so a served router starts from the same calibration.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var inv = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["online.calibration_scale"] = Scale.ToString("R", inv),
            ["online.calibration_offset"] = Offset.ToString("R", inv),
            ["online.global_variance"] = Levels.GlobalVariance.ToString("R", inv),
            ["online.domain_variance"] = Levels.DomainVariance.ToString("R", inv),
            ["online.prompt_variance"] = Levels.PromptVariance.ToString("R", inv),
            ["online.noise_variance"] = Levels.NoiseVariance.ToString("R", inv),
        };
    }

    /// <summary>The calibration recorded in an artifact's metadata, or null when it has none.</summary>
    public static OnlineCalibration? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var inv = CultureInfo.InvariantCulture;
        double? Get(string key) => metadata.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, inv, out var x) ? x : null;
        if (Get("online.calibration_scale") is not { } a || Get("online.calibration_offset") is not { } c) return null;
        var d = new HierarchicalOptions();
        return new OnlineCalibration(a, c, d with
        {
            GlobalVariance = Get("online.global_variance") ?? d.GlobalVariance,
            DomainVariance = Get("online.domain_variance") ?? d.DomainVariance,
            PromptVariance = Get("online.prompt_variance") ?? d.PromptVariance,
            NoiseVariance = Get("online.noise_variance") ?? d.NoiseVariance,
        });
    }
}
