namespace BayesianRouter.Routing;

/// <summary>
/// Online fit of the reward's units (<see cref="RewardMap"/>) from sufficient statistics pooled over the arms, kept as
/// raw sums so that the fit can be redone at any time:
/// <list type="bullet">
/// <item>the map A + B m by least squares of the reward on the model's prediction for the labelling arm when the
/// batch arrived, m = f + E[theta] (the prior prediction f plus the posterior mean of the arm's offset for the pair's
/// domain and prompt, in the units then in use), with <c>priorWeight</c> pseudo-pairs (half with m = 0, r = 0, half with
/// m = 1, r = 1), so it starts at A = 0, B = 1 (0/1 units) and follows the data as it comes (a ridge fit towards the 0/1
/// line; closed form, 2 x 2 normal equations). The router routes to the arm with the highest (drawn) prediction, and a
/// regression on the variable the selection is made on stays unbiased; regressed on f alone, the arms chosen against
/// their f (because their offset for the prompt is high) bias the slope (measured on RewardMATH with 0/1 rewards: B
/// 1.3-1.5 on f, 1.16 on m);</item>
/// <item>the noise variance of one reward around its prompt's mean (as <see cref="Offline.OnlineCalibration"/> measures
/// sigma^2 on held-out 0/1 rewards): the pooled within-(arm, domain, prompt) variance of r - B f, which does not depend
/// on A, with <c>priorWeight</c> pseudo degrees of freedom at the calibrated sigma^2 (in reward units, B^2 sigma^2).</item>
/// </list>
/// The within-cell sum of squares of r - B f is sum_i (r_i - B f_i)^2 - sum_c (R_c - B F_c)^2 / k_c, so it needs, besides
/// the pair-level sums, the per-cell sums of R_c^2 / k_c, R_c F_c / k_c and F_c^2 / k_c, kept up to date in O(1) as a
/// cell's (k_c, R_c, F_c) change. Part of the router's saved state.
/// </summary>
internal sealed class RewardScale
{
    /// <summary>The slope's floor: a reward that says less than this about the prior prediction is mostly noise.</summary>
    public const double MinimumSlope = 0.05;

    // pair-level sums: the map's (prediction m, reward r), the noise's (prior prediction f, reward r)
    private double _n, _m, _r, _mm, _mr, _ff, _fr, _rr;
    // cells (singletons included) and their between-cell sums
    private double _cells, _qrr, _qrf, _qff;

    /// <summary>Pairs observed.</summary>
    public double Count => _n;

    /// <summary>
    /// One observation: reward r, the model's prediction m = f + E[theta] at the time (in the prior prediction's
    /// units), the prior prediction f, joining a cell that held (k, R, F) before it.
    /// </summary>
    public void Observe(double r, double m, double f, int k, double sumR, double sumF)
    {
        _n += 1; _m += m; _r += r; _mm += m * m; _mr += m * r;
        _ff += f * f; _fr += f * r; _rr += r * r;
        if (k > 0)
        {
            _qrr -= sumR * sumR / k; _qrf -= sumR * sumF / k; _qff -= sumF * sumF / k;
        }
        else _cells += 1;
        double k1 = k + 1, r1 = sumR + r, f1 = sumF + f;
        _qrr += r1 * r1 / k1; _qrf += r1 * f1 / k1; _qff += f1 * f1 / k1;
    }

    /// <summary>
    /// The map at the current statistics: (A, B) by least squares with the pseudo-pairs, B floored at
    /// <see cref="MinimumSlope"/> (A then refitted for that B), and the within-cell noise variance in reward units.
    /// </summary>
    public RewardMap Fit(double priorWeight, double calibratedNoise)
    {
        double h = priorWeight / 2;
        double n = _n + priorWeight, sm = _m + h, sr = _r + h, smm = _mm + h, smr = _mr + h;
        double det = n * smm - sm * sm;
        double b = det > 0 ? (n * smr - sm * sr) / det : 1;
        if (!(b >= MinimumSlope)) b = MinimumSlope;
        double a = (sr - b * sm) / n;
        double within = (_rr - 2 * b * _fr + b * b * _ff) - (_qrr - 2 * b * _qrf + b * b * _qff);
        double df = _n - _cells;
        double noise = (Math.Max(0, within) + priorWeight * b * b * calibratedNoise) / (Math.Max(0, df) + priorWeight);
        return new RewardMap(a, b, noise);
    }

    private double[] Statistics => [_n, _m, _r, _mm, _mr, _ff, _fr, _rr, _cells, _qrr, _qrf, _qff];

    public void Write(BinaryWriter w)
    {
        foreach (var v in Statistics) w.Write(v);
    }

    public static RewardScale Read(BinaryReader r)
    {
        var s = new RewardScale
        {
            _n = r.ReadDouble(), _m = r.ReadDouble(), _r = r.ReadDouble(), _mm = r.ReadDouble(), _mr = r.ReadDouble(),
            _ff = r.ReadDouble(), _fr = r.ReadDouble(), _rr = r.ReadDouble(),
            _cells = r.ReadDouble(), _qrr = r.ReadDouble(), _qrf = r.ReadDouble(), _qff = r.ReadDouble(),
        };
        if (s.Statistics.Any(v => !double.IsFinite(v))) throw new InvalidDataException("reward scale: a statistic is not finite");
        if (s._n < 0 || s._cells < 0 || s._cells > s._n) throw new InvalidDataException("reward scale: counts out of range");
        return s;
    }
}
