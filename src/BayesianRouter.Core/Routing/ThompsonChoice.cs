using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// What every Thompson-sampling decision shares, for any <see cref="IThompsonRouter"/>: the Monte-Carlo estimate of
/// the probability that the policy picks an arm (off-policy evaluation needs it; the draws are independent normals
/// with the router's <see cref="ScoreMoments"/>), and the fallback order (the arms by their drawn scores). The paper's
/// router, the weighted-score baseline and the live session all compute them here.
/// </summary>
public static class ThompsonChoice
{
    /// <summary>
    /// <paramref name="draws"/> x <paramref name="arms"/> standard normals from <paramref name="random"/>, draw-major
    /// (normals[t * arms + n]): the shared randomness of <see cref="MonteCarloHits"/>.
    /// </summary>
    public static double[] Normals(SeededRandom random, int draws, int arms)
    {
        ArgumentNullException.ThrowIfNull(random);
        var normals = new double[draws * arms];
        for (int k = 0; k < normals.Length; k++) normals[k] = random.NextGaussian();
        return normals;
    }

    /// <summary>
    /// How many of the Monte-Carlo score vectors mean + sd * z_t (z_t = normals[t * arms .. (t + 1) * arms)) make
    /// <paramref name="arm"/> the argmax for pair <paramref name="pair"/> (ties to the lowest index, as the decisions).
    /// <paramref name="transform"/>, when given, maps each score vector in place before the argmax (e.g. the
    /// weighted-score mixture of offline and online scores), so a policy that ranks arms by a function of the draws
    /// is estimated the same way. hits / draws estimates the choice probability; (hits + 1) / (draws + 1) counts the
    /// decision's own draw as one more and is never 0.
    /// </summary>
    public static int MonteCarloHits(ScoreMoments moments, int pair, int arm, ReadOnlySpan<double> normals,
        ScoreTransform? transform = null)
    {
        ArgumentNullException.ThrowIfNull(moments);
        int arms = moments.Arms, hits = 0;
        if (normals.Length % arms != 0) throw new ArgumentException($"{normals.Length} normals are not whole draws of {arms} arms");
        Span<double> mean = arms <= 64 ? stackalloc double[arms] : new double[arms];
        Span<double> sd = arms <= 64 ? stackalloc double[arms] : new double[arms];
        Span<double> v = arms <= 64 ? stackalloc double[arms] : new double[arms];
        for (int n = 0; n < arms; n++)
        {
            mean[n] = moments.Mean(pair, n);
            sd[n] = moments.StdDev(pair, n);
        }
        for (int k = 0; k < normals.Length; k += arms)
        {
            for (int n = 0; n < arms; n++) v[n] = mean[n] + sd[n] * normals[k + n];
            transform?.Invoke(v);
            if (RouterBase.ArgMax(v) == arm) hits++;
        }
        return hits;
    }

    /// <summary>The chosen arm first, then the others by drawn score, best first (lowest index on ties): the order in
    /// which RMs are tried when the chosen one fails.</summary>
    public static int[] FallbackOrder(int chosen, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (chosen < 0 || chosen >= scores.Count) throw new ArgumentOutOfRangeException(nameof(chosen), chosen, $"not an arm of {scores.Count}");
        var rest = Enumerable.Range(0, scores.Count).Where(n => n != chosen).OrderByDescending(n => scores[n]).ThenBy(n => n);
        return [chosen, .. rest];
    }
}

/// <summary>Maps one pair's score vector (one value per arm) in place before the argmax.</summary>
public delegate void ScoreTransform(Span<double> scores);
