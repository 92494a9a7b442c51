using BayesianRouter.State;

namespace BayesianRouter.Rewards;

/// <summary>
/// The second stage of the paper's reward (appendix B, after LASER): a batch of centred rewards r_i(t) is rescaled
/// to [0, 1] with the 20th and 80th percentiles q_lo, q_hi of ALL PAST centred rewards (steps before t; the current
/// batch is added to the history only after it is scaled):
/// r^ = 0 if r &lt; q_lo, 1 if r &gt; q_hi, else (r - q_lo) / (q_hi - q_lo).
/// Percentiles are exact (<see cref="Percentile"/>, linear interpolation between order statistics).
/// Edge cases, decided here:
/// <list type="bullet">
/// <item>history shorter than <see cref="QuantileNormaliserOptions.MinimumHistory"/> (at least 1; the first step's
/// history is always empty): every reward maps to 0.5, neutral;</item>
/// <item>constant history (q_hi == q_lo = q): r &lt; q maps to 0, r &gt; q to 1, r == q to 0.5.</item>
/// </list>
/// The history is kept sorted (merged per batch, O(history + batch log batch)) and saved in checkpoints.
/// </summary>
public sealed class QuantileNormaliser : ICheckpointable
{
    private double[] _sorted = [];
    private int _count;

    public QuantileNormaliser(QuantileNormaliserOptions? options = null)
    {
        Options = options ?? new QuantileNormaliserOptions();
        Options.Validate();
    }

    public QuantileNormaliserOptions Options { get; }

    /// <summary>Number of past centred rewards in the history.</summary>
    public int HistoryCount => _count;

    /// <summary>The history, ascending.</summary>
    public ReadOnlySpan<double> SortedHistory => _sorted.AsSpan(0, _count);

    /// <summary>(q_lo, q_hi) of the current history, or null while it is shorter than the minimum.</summary>
    public (double Low, double High)? Bounds()
    {
        if (_count < Options.MinimumHistory) return null;
        return (Percentile.OfSorted(SortedHistory, Options.LowerQuantile), Percentile.OfSorted(SortedHistory, Options.UpperQuantile));
    }

    /// <summary>Scales one value with given bounds (no history change).</summary>
    public static double Scale(double r, double low, double high)
    {
        if (r < low) return 0;
        if (r > high) return 1;
        if (high == low) return 0.5;
        return (r - low) / (high - low);
    }

    /// <summary>
    /// Scales a batch of centred rewards by the past history, then appends them to it. Throws (history unchanged)
    /// on a non-finite value.
    /// </summary>
    public double[] Normalise(IReadOnlyList<double> centred)
    {
        ArgumentNullException.ThrowIfNull(centred);
        for (int i = 0; i < centred.Count; i++)
            if (!double.IsFinite(centred[i])) throw new ArgumentException($"centred reward {i} is not finite ({centred[i]})");
        var bounds = Bounds();
        var result = new double[centred.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = bounds is { } b ? Scale(centred[i], b.Low, b.High) : 0.5;
        Append(centred);
        return result;
    }

    /// <summary>Both stages for one batch: batch-centre the losses (appendix B), then <see cref="Normalise"/>.</summary>
    public double[] ShapeLosses(IReadOnlyList<double> losses) => Normalise(RewardShaping.BatchCentred(losses));

    private void Append(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return;
        var batch = values.ToArray();
        Array.Sort(batch);
        var merged = new double[Math.Max(_count + batch.Length, _sorted.Length)];
        int i = 0, j = 0, k = 0;
        while (i < _count && j < batch.Length) merged[k++] = _sorted[i] <= batch[j] ? _sorted[i++] : batch[j++];
        while (i < _count) merged[k++] = _sorted[i++];
        while (j < batch.Length) merged[k++] = batch[j++];
        _sorted = merged;
        _count = k;
    }

    public string StateKind => "quantile-normaliser";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Options.LowerQuantile);
        w.Write(Options.UpperQuantile);
        w.Write(Options.MinimumHistory);
        w.Write(_count);
        for (int i = 0; i < _count; i++) w.Write(_sorted[i]);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Options.LowerQuantile, "lower quantile");
        r.ReadExpected(Options.UpperQuantile, "upper quantile");
        r.ReadExpected(Options.MinimumHistory, "minimum history");
        var sorted = r.ReadArray("reward history");
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i] < sorted[i - 1]) throw new InvalidDataException("reward history is not sorted");
        return () =>
        {
            _sorted = sorted;
            _count = sorted.Length;
        };
    }
}

/// <summary>Options of <see cref="QuantileNormaliser"/>.</summary>
public sealed record QuantileNormaliserOptions
{
    /// <summary>Lower percentile level (paper: 0.2).</summary>
    public double LowerQuantile { get; init; } = 0.2;

    /// <summary>Upper percentile level (paper: 0.8).</summary>
    public double UpperQuantile { get; init; } = 0.8;

    /// <summary>Past rewards needed before scaling; with fewer, every reward maps to 0.5 (at least 1).</summary>
    public int MinimumHistory { get; init; } = 1;

    internal void Validate()
    {
        if (!(LowerQuantile >= 0 && LowerQuantile < UpperQuantile && UpperQuantile <= 1))
            throw new ArgumentException($"quantile levels must satisfy 0 <= lower < upper <= 1 (got {LowerQuantile}, {UpperQuantile})");
        if (MinimumHistory < 1) throw new ArgumentException($"minimum history must be at least 1 (got {MinimumHistory})");
    }
}
