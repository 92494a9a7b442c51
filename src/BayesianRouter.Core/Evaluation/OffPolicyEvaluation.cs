namespace BayesianRouter.Evaluation;

/// <summary>One logged decision as off-policy evaluation reads it: the context h, the arm the logging policy chose,
/// the probability it had of choosing it (must be &gt; 0), and the reward that followed.</summary>
public readonly record struct LoggedChoice(double[] Features, int Arm, double Probability, double Reward);

/// <summary>A target policy: the probability it gives each arm for a context (row sums to 1).</summary>
public sealed record TargetPolicy(string Name, Func<double[], int, double> Probability);

/// <summary>
/// Estimates of a target policy's mean reward from a log: inverse propensity scoring (IPS, unbiased when every logged
/// probability is the true one and &gt; 0 wherever the target acts; rewards lie in [0, 1], so the estimate and its
/// interval are clipped to [0, 1] together and the estimate always lies inside its interval) and self-normalised IPS
/// (SNIPS: slightly biased, much less variance), each with a normal-approximation 95% interval; plus the effective
/// sample size (sum w)^2 / sum w^2 and the largest importance weight w = pi(a|h) / p. A target that never acts like
/// the log (<see cref="Matches"/> = 0) has no estimate: <see cref="HasData"/> is false and the values are NaN / null.
/// </summary>
public sealed record PolicyEstimate(
    string Policy, int Samples, int Matches, double Ips, double IpsLow, double IpsHigh,
    double? Snips, double? SnipsLow, double? SnipsHigh, double EffectiveSampleSize, double MaxWeight)
{
    /// <summary>False when no logged decision is one the target policy could have made: nothing to estimate from.</summary>
    public bool HasData => Matches > 0;
}

/// <summary>
/// Off-policy evaluation of routing policies from a decision log (as Vowpal Wabbit's and Personalizer's offline
/// evaluation): what mean reward would another policy (one RM for everything, uniform, the offline router alone) have
/// had on the same pairs, using the logged choice probabilities.
/// </summary>
public static class OffPolicyEvaluation
{
    /// <summary>z of the two-sided 95 % normal interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>IPS and SNIPS estimates of <paramref name="target"/>'s mean reward on <paramref name="log"/>.</summary>
    /// <exception cref="ArgumentException">A logged probability that is not in (0, 1], or a non-finite reward.</exception>
    public static PolicyEstimate Estimate(IReadOnlyList<LoggedChoice> log, TargetPolicy target, double z = Z95)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(target);
        int n = log.Count;
        var weights = new double[n];
        int matches = 0;
        double sumW = 0, sumW2 = 0, sumWr = 0, maxW = 0;
        for (int i = 0; i < n; i++)
        {
            var c = log[i];
            if (!(c.Probability > 0 && c.Probability <= 1))
                throw new ArgumentException($"logged decision {i}: probability {c.Probability} is not in (0, 1]: off-policy evaluation needs the logging policy's probability of every choice");
            if (!double.IsFinite(c.Reward)) throw new ArgumentException($"logged decision {i}: reward {c.Reward} is not finite");
            double pi = target.Probability(c.Features, c.Arm);
            double w = pi / c.Probability;
            weights[i] = w;
            if (pi > 0) matches++;
            sumW += w;
            sumW2 += w * w;
            sumWr += w * c.Reward;
            maxW = Math.Max(maxW, w);
        }
        if (matches == 0) return new PolicyEstimate(target.Name, n, 0, double.NaN, double.NaN, double.NaN, null, null, null, 0, maxW);

        double ips = sumWr / n;
        double varIps = 0;
        for (int i = 0; i < n; i++)
        {
            double d = weights[i] * log[i].Reward - ips;
            varIps += d * d;
        }
        double seIps = n > 1 ? Math.Sqrt(varIps / (n - 1) / n) : double.PositiveInfinity;

        double? snips = null, snipsLow = null, snipsHigh = null;
        if (sumW > 0)
        {
            double v = sumWr / sumW;
            double meanW = sumW / n, acc = 0;
            for (int i = 0; i < n; i++)
            {
                double d = weights[i] * (log[i].Reward - v);
                acc += d * d;
            }
            // Delta method for a ratio of means: Var(V) ~ mean(w^2 (r - V)^2) / (n mean(w)^2).
            double se = n > 1 ? Math.Sqrt(acc / (n - 1) / n) / meanW : double.PositiveInfinity;
            snips = v;
            snipsLow = Clip(v - z * se);
            snipsHigh = Clip(v + z * se);
        }
        double ess = sumW2 > 0 ? sumW * sumW / sumW2 : 0;
        return new PolicyEstimate(target.Name, n, matches, Clip(ips), Clip(ips - z * seIps), Clip(ips + z * seIps), snips, snipsLow, snipsHigh, ess, maxW);
    }

    private static double Clip(double x) => double.IsNaN(x) ? x : Math.Clamp(x, 0, 1);

    /// <summary>Always arm <paramref name="arm"/>.</summary>
    public static TargetPolicy Single(string name, int arm) => new(name, (_, a) => a == arm ? 1.0 : 0.0);

    /// <summary>Every arm with probability 1 / arms.</summary>
    public static TargetPolicy Uniform(int arms) => new("uniform", (_, _) => 1.0 / arms);

    /// <summary>A deterministic policy: the arm <paramref name="choose"/> picks for the context.</summary>
    public static TargetPolicy Deterministic(string name, Func<double[], int> choose) => new(name, (h, a) => choose(h) == a ? 1.0 : 0.0);
}
