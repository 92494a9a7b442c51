namespace BayesianRouter.State;

/// <summary>
/// A small seeded pseudo-random generator whose complete state can be saved and restored, so that a run resumed
/// from a checkpoint draws exactly the numbers an uninterrupted run would have drawn. The generator is
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64; Gaussian draws use Marsaglia's polar method and
/// keep the second value of each pair, which is part of the saved state.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private bool _hasSpare;
    private double _spare;

    /// <summary>A generator for <paramref name="seed"/>; distinct <paramref name="stream"/> values give independent
    /// streams from one seed (e.g. decisions and Monte-Carlo estimates of one router).</summary>
    public SeededRandom(long seed, ulong stream = 0)
    {
        ulong x = unchecked((ulong)seed ^ (stream * 0xD1B54A32D192ED03UL));
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1; // the all-zero state is the one fixed point of xoshiro
    }

    private SeededRandom() { }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = unchecked(x += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>64 uniformly random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = unchecked(ulong.RotateLeft(_s1 * 5, 7) * 9);
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="n"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "the range must hold at least one value");
        ulong bound = (ulong)n;
        ulong high = Math.BigMul(NextUInt64(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = unchecked(0 - bound) % bound;
            while (low < threshold) high = Math.BigMul(NextUInt64(), bound, out low);
        }
        return (int)high;
    }

    /// <summary>A fair coin.</summary>
    public bool NextBool() => (NextUInt64() >> 63) != 0;

    /// <summary>Standard normal N(0, 1) (Marsaglia's polar method).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double f = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    /// <summary>
    /// <paramref name="count"/> distinct values of [0, <paramref name="n"/>), uniformly among all such subsets, in
    /// the order drawn (a partial Fisher-Yates shuffle).
    /// </summary>
    public int[] SampleWithoutReplacement(int n, int count)
    {
        if (count < 0 || count > n)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"cannot draw {count} distinct values out of {n}");
        var pool = new int[n];
        for (int i = 0; i < n; i++) pool[i] = i;
        for (int i = 0; i < count; i++)
        {
            int j = i + NextInt(n - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool[..count];
    }

    /// <summary>A copy in the same state: it will draw the same numbers as this one.</summary>
    public SeededRandom Clone() => new()
    {
        _s0 = _s0, _s1 = _s1, _s2 = _s2, _s3 = _s3, _hasSpare = _hasSpare, _spare = _spare,
    };

    /// <summary>Writes the complete state (41 bytes).</summary>
    public void WriteState(BinaryWriter writer)
    {
        writer.Write(_s0);
        writer.Write(_s1);
        writer.Write(_s2);
        writer.Write(_s3);
        writer.Write(_hasSpare);
        writer.Write(_spare);
    }

    /// <summary>Reads a state written by <see cref="WriteState"/> into a new generator.</summary>
    public static SeededRandom ReadState(BinaryReader reader)
    {
        var r = new SeededRandom
        {
            _s0 = reader.ReadUInt64(), _s1 = reader.ReadUInt64(), _s2 = reader.ReadUInt64(), _s3 = reader.ReadUInt64(),
            _hasSpare = reader.ReadBoolean(), _spare = reader.ReadDouble(),
        };
        if ((r._s0 | r._s1 | r._s2 | r._s3) == 0) throw new InvalidDataException("random generator state is all zero");
        if (!double.IsFinite(r._spare)) throw new InvalidDataException("random generator state holds a non-finite value");
        return r;
    }

    /// <summary>Puts this generator in the state of <paramref name="other"/>.</summary>
    public void CopyFrom(SeededRandom other)
    {
        _s0 = other._s0; _s1 = other._s1; _s2 = other._s2; _s3 = other._s3;
        _hasSpare = other._hasSpare; _spare = other._spare;
    }
}
