namespace BayesianRouter.Routing;

/// <summary>The softmax exp(s_n) / sum_m exp(s_m), computed stably (the maximum is subtracted first).</summary>
public static class Softmax
{
    public static double[] Of(ReadOnlySpan<double> scores)
    {
        var p = new double[scores.Length];
        Into(scores, p);
        return p;
    }

    public static void Into(ReadOnlySpan<double> scores, Span<double> result)
    {
        if (scores.Length == 0) return;
        double max = double.NegativeInfinity;
        foreach (var s in scores) max = Math.Max(max, s);
        double sum = 0;
        for (int n = 0; n < scores.Length; n++) sum += result[n] = Math.Exp(scores[n] - max);
        for (int n = 0; n < scores.Length; n++) result[n] /= sum;
    }
}
