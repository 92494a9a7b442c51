namespace BayesianRouter.Rewards;

/// <summary>
/// Standardises an RM's raw scores by the mean and standard deviation of every score it gave so far (Welford's running
/// moments, the new scores included): z = (s - mean) / sd, and 0 while the spread is 0. RMs score on different scales; a
/// trainer whose rewards come from several RMs (one per group) gets rewards on one scale when each RM's scores are
/// standardised (the pool file's per-RM <c>standardise</c>, docs/integrations.md). Thread-safe.
/// </summary>
public sealed class RunningStandardiser
{
    private readonly object _gate = new();
    private long _count;
    private double _mean, _m2;

    /// <summary>Scores seen so far.</summary>
    public long Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>Adds <paramref name="scores"/> to the running moments, then returns them standardised.</summary>
    public double[] AddAndStandardise(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        lock (_gate)
        {
            foreach (var s in scores)
            {
                if (!double.IsFinite(s)) throw new ArgumentException($"scores must be finite (got {s})", nameof(scores));
                _count++;
                double delta = s - _mean;
                _mean += delta / _count;
                _m2 += delta * (s - _mean);
            }
            double sd = _count > 1 ? Math.Sqrt(_m2 / (_count - 1)) : 0;
            return scores.Select(s => sd > 0 ? (s - _mean) / sd : 0).ToArray();
        }
    }
}
