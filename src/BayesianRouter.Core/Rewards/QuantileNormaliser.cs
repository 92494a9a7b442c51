using BayesianRouter.State;

namespace BayesianRouter.Rewards;

/// <summary>
/// The second stage of the paper's reward (appendix B, after LASER): a batch of centred rewards r_i(t) is rescaled
/// to [0, 1] with the 20th and 80th percentiles q_lo, q_hi of ALL PAST centred rewards (steps before t; the current
/// batch is added to the history only after it is scaled):
/// r^ = 0 if r &lt; q_lo, 1 if r &gt; q_hi, else (r - q_lo) / (q_hi - q_lo).
/// Edge cases, decided here:
/// <list type="bullet">
/// <item>history shorter than <see cref="QuantileNormaliserOptions.MinimumHistory"/> (at least 1; the first step's
/// history is always empty): every reward maps to 0.5, neutral;</item>
/// <item>constant history (q_hi == q_lo = q): r &lt; q maps to 0, r &gt; q to 1, r == q to 0.5.</item>
/// </list>
/// <para>
/// Bounded memory (what changes from the paper, docs/service.md): up to <see cref="QuantileNormaliserOptions.MaxHistory"/>
/// past rewards the history is kept whole and the percentiles are exact (<see cref="Percentile"/>, linear
/// interpolation between order statistics), so every result equals the paper's. Beyond it the history becomes a
/// deterministic weighted sketch of all past rewards: whenever it holds more than the bound, adjacent points of the
/// sorted history are merged in pairs (the heavier value kept, ties alternating between compactions, the weights
/// added), and the percentiles are read from the weighted order statistics with the same interpolation. Every past
/// reward still counts (unlike a window). Measured (docs/service.md): a percentile's rank is off by at most about 8 x
/// (rewards so far) / bound, e.g. 78 of 1,000,000 ranks (0.008%) after a million rewards with the default bound of 100,000.
/// </para>
/// The history is kept sorted (merged per batch into new arrays, never changed in place: a <see cref="Snapshot"/> is
/// a reference) and saved in checkpoints.
/// </summary>
public sealed class QuantileNormaliser : ICheckpointable
{
    private double[] _sorted = [];
    private long[]? _weights; // null while exact (every weight 1)
    private int _count;
    private long _total;
    private int _compactions;

    public QuantileNormaliser(QuantileNormaliserOptions? options = null)
    {
        Options = options ?? new QuantileNormaliserOptions();
        Options.Validate();
    }

    public QuantileNormaliserOptions Options { get; }

    /// <summary>Number of past centred rewards (all of them, also once the history is a sketch).</summary>
    public int HistoryCount => (int)Math.Min(_total, int.MaxValue);

    /// <summary>True while the history holds every past reward (no more than <see cref="QuantileNormaliserOptions.MaxHistory"/>): percentiles are exact.</summary>
    public bool IsExact => _weights is null;

    /// <summary>The stored history, ascending: every past reward while <see cref="IsExact"/>, else the sketch's points.</summary>
    public ReadOnlySpan<double> SortedHistory => _sorted.AsSpan(0, _count);

    /// <summary>(q_lo, q_hi) of the current history, or null while it is shorter than the minimum.</summary>
    public (double Low, double High)? Bounds() => Snapshot().Bounds();

    /// <summary>The history as it stands, in O(1): the arrays are never changed in place, so it stays valid while learning goes on.</summary>
    public QuantileHistory Snapshot() => new(Options, _sorted, _weights, _count, _total, _compactions);

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
        var merged = new double[_count + batch.Length];
        var weights = _weights is null ? null : new long[merged.Length];
        int i = 0, j = 0, k = 0;
        while (i < _count && j < batch.Length)
        {
            if (_sorted[i] <= batch[j])
            {
                if (weights != null) weights[k] = _weights![i];
                merged[k++] = _sorted[i++];
            }
            else
            {
                if (weights != null) weights[k] = 1;
                merged[k++] = batch[j++];
            }
        }
        while (i < _count)
        {
            if (weights != null) weights[k] = _weights![i];
            merged[k++] = _sorted[i++];
        }
        while (j < batch.Length)
        {
            if (weights != null) weights[k] = 1;
            merged[k++] = batch[j++];
        }
        _sorted = merged;
        _weights = weights;
        _count = k;
        _total += batch.Length;
        while (_count > Options.MaxHistory) Compact();
    }

    /// <summary>
    /// Halves the stored points: each adjacent pair of the sorted history becomes one point holding both weights, at
    /// the heavier one's value (ties: the first on even compactions, the second on odd ones, so neither side drifts).
    /// </summary>
    private void Compact()
    {
        int n = (_count + 1) / 2;
        var values = new double[n];
        var weights = new long[n];
        bool second = (_compactions & 1) == 1;
        int k = 0;
        for (int i = 0; i + 1 < _count; i += 2)
        {
            long a = _weights?[i] ?? 1, b = _weights?[i + 1] ?? 1;
            int pick = a > b ? i : b > a ? i + 1 : second ? i + 1 : i;
            values[k] = _sorted[pick];
            weights[k++] = a + b;
        }
        if ((_count & 1) == 1)
        {
            values[k] = _sorted[_count - 1];
            weights[k++] = _weights?[_count - 1] ?? 1;
        }
        _sorted = values;
        _weights = weights;
        _count = k;
        _compactions++;
    }

    public string StateKind => "quantile-normaliser";

    /// <summary>2: the bound, the reward count and the sketch's weights were added (version 1, exact histories, is read too).</summary>
    public int StateVersion => 2;

    public void WriteState(BinaryWriter w) => Snapshot().WriteState(w);

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Options.LowerQuantile, "lower quantile");
        r.ReadExpected(Options.UpperQuantile, "upper quantile");
        r.ReadExpected(Options.MinimumHistory, "minimum history");
        if (version >= 2) r.ReadExpected(Options.MaxHistory, "history bound");
        var sorted = r.ReadArray("reward history");
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i] < sorted[i - 1]) throw new InvalidDataException("reward history is not sorted");
        long total = sorted.Length;
        long[]? weights = null;
        int compactions = 0;
        if (version >= 2)
        {
            total = r.ReadInt64();
            compactions = r.ReadInt32();
            if (r.ReadBoolean())
            {
                weights = new long[sorted.Length];
                long sum = 0;
                for (int i = 0; i < weights.Length; i++)
                {
                    weights[i] = r.ReadInt64();
                    if (weights[i] < 1) throw new InvalidDataException($"reward history weight {i} is {weights[i]}, at least 1 expected");
                    sum += weights[i];
                }
                if (sum != total) throw new InvalidDataException($"reward history weights add up to {sum}, not the {total} rewards recorded");
            }
            else if (total != sorted.Length) throw new InvalidDataException($"reward history holds {sorted.Length} values for {total} rewards");
            if (compactions < 0) throw new InvalidDataException($"reward history compactions {compactions} is negative");
        }
        return () =>
        {
            _sorted = sorted;
            _weights = weights;
            _count = sorted.Length;
            _total = total;
            _compactions = compactions;
            while (_count > Options.MaxHistory) Compact(); // a version 1 history longer than the bound
        };
    }
}

/// <summary>
/// A <see cref="QuantileNormaliser"/>'s history at one moment (<see cref="QuantileNormaliser.Snapshot"/>): its
/// percentiles, and its checkpoint section, computed from arrays the normaliser no longer changes.
/// </summary>
public sealed class QuantileHistory
{
    private readonly double[] _sorted;
    private readonly long[]? _weights;
    private readonly int _count, _compactions;
    private readonly long _total;

    internal QuantileHistory(QuantileNormaliserOptions options, double[] sorted, long[]? weights, int count, long total, int compactions)
    {
        Options = options;
        (_sorted, _weights, _count, _total, _compactions) = (sorted, weights, count, total, compactions);
    }

    public QuantileNormaliserOptions Options { get; }

    /// <summary>Past rewards counted.</summary>
    public long Total => _total;

    /// <summary>(q_lo, q_hi), or null while fewer than <see cref="QuantileNormaliserOptions.MinimumHistory"/> rewards are counted.</summary>
    public (double Low, double High)? Bounds()
    {
        if (_total < Options.MinimumHistory) return null;
        var values = _sorted.AsSpan(0, _count);
        if (_weights is null) return (Percentile.OfSorted(values, Options.LowerQuantile), Percentile.OfSorted(values, Options.UpperQuantile));
        return (Weighted(Options.LowerQuantile), Weighted(Options.UpperQuantile));
    }

    /// <summary>Percentile.OfSorted's rule on the weighted history: point i stands for weights[i] equal order statistics.</summary>
    private double Weighted(double q)
    {
        double h = q * (_total - 1);
        long lo = (long)Math.Floor(h);
        if (lo >= _total - 1) return _sorted[_count - 1];
        double a = AtRank(lo), b = AtRank(lo + 1);
        return a + (h - lo) * (b - a);
    }

    private double AtRank(long rank)
    {
        long seen = 0;
        for (int i = 0; i < _count; i++)
        {
            seen += _weights![i];
            if (rank < seen) return _sorted[i];
        }
        return _sorted[_count - 1];
    }

    /// <summary>The normaliser's checkpoint section (<see cref="QuantileNormaliser.StateVersion"/> 2).</summary>
    public void WriteState(BinaryWriter w)
    {
        w.Write(Options.LowerQuantile);
        w.Write(Options.UpperQuantile);
        w.Write(Options.MinimumHistory);
        w.Write(Options.MaxHistory);
        w.Write(_count);
        for (int i = 0; i < _count; i++) w.Write(_sorted[i]);
        w.Write(_total);
        w.Write(_compactions);
        w.Write(_weights is not null);
        if (_weights is not null)
            for (int i = 0; i < _count; i++) w.Write(_weights[i]);
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

    /// <summary>
    /// Most past rewards kept whole (exact percentiles, the paper's rule); beyond it the history is a weighted sketch of
    /// at most this many points (see <see cref="QuantileNormaliser"/>). At least 16; default 100,000 (1.6 MB at most).
    /// </summary>
    public int MaxHistory { get; init; } = 100_000;

    internal void Validate()
    {
        if (!(LowerQuantile >= 0 && LowerQuantile < UpperQuantile && UpperQuantile <= 1))
            throw new ArgumentException($"quantile levels must satisfy 0 <= lower < upper <= 1 (got {LowerQuantile}, {UpperQuantile})");
        if (MinimumHistory < 1) throw new ArgumentException($"minimum history must be at least 1 (got {MinimumHistory})");
        if (MaxHistory < 16) throw new ArgumentException($"the history bound must be at least 16 (got {MaxHistory})");
    }
}
