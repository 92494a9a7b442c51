namespace BayesianRouter.Encoding;

/// <summary>Pooling of an encoder's token vectors into sentence vectors, then L2 normalisation (pure maths).</summary>
public static class SentencePooling
{
    /// <summary>
    /// Pools <paramref name="hidden"/> ([batch, seq, dim], row-major) into one unit vector per row. Mean pooling
    /// averages the tokens whose attention mask is 1: sum_t m_t h_t / max(sum_t m_t, 1e-9), as sentence-transformers does.
    /// </summary>
    public static float[][] Pool(ReadOnlySpan<float> hidden, ReadOnlySpan<long> mask, int batch, int seq, int dim, Pooling pooling)
    {
        if (hidden.Length != (long)batch * seq * dim) throw new ArgumentException($"hidden state has {hidden.Length} values, expected {batch}x{seq}x{dim}");
        if (mask.Length != batch * seq) throw new ArgumentException($"attention mask has {mask.Length} values, expected {batch}x{seq}");
        var result = new float[batch][];
        for (int b = 0; b < batch; b++)
        {
            var v = new float[dim];
            if (pooling == Pooling.Cls)
            {
                hidden.Slice(b * seq * dim, dim).CopyTo(v);
            }
            else
            {
                float count = 0;
                for (int t = 0; t < seq; t++)
                {
                    if (mask[b * seq + t] == 0) continue;
                    count += 1;
                    var row = hidden.Slice((b * seq + t) * dim, dim);
                    for (int j = 0; j < dim; j++) v[j] += row[j];
                }
                float inv = 1f / MathF.Max(count, 1e-9f);
                for (int j = 0; j < dim; j++) v[j] *= inv;
            }
            Normalise(v);
            result[b] = v;
        }
        return result;
    }

    /// <summary>Scales <paramref name="v"/> to unit L2 norm in place (a zero vector stays zero).</summary>
    public static void Normalise(Span<float> v)
    {
        double s = 0;
        foreach (var x in v) s += (double)x * x;
        float inv = (float)(1.0 / Math.Max(Math.Sqrt(s), 1e-12));
        for (int j = 0; j < v.Length; j++) v[j] *= inv;
    }
}
