namespace BayesianRouter.Encoding;

/// <summary>
/// NOT a model: a fast, deterministic stand-in encoder for soak tests and benchmarks of everything around the
/// encoder (the embedding cache, the service, the decision log). Each input's vector is a pseudo-random unit vector
/// seeded by the input's SHA-256 key (<see cref="EncoderInput.Key"/>): the same text always gets the same vector,
/// different texts nearly orthogonal ones, at about a microsecond per text instead of MiniLM's tens of milliseconds.
/// Its <see cref="Id"/> names it, so its embeddings never mix with a real model's in a cache or a router.
/// Thread-safe.
/// </summary>
public sealed class SyntheticTextEncoder(int dimension = MiniLmEncoder.Dimension, int maxTokens = EncoderOptions.DefaultMaxTokens) : IConcurrentTextEncoder
{
    public string Id => $"synthetic-stand-in-not-a-model;dim={Dimension};max_tokens={MaxTokens}";
    public int Dimension { get; } = dimension > 0 ? dimension : throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "must be positive");
    public int MaxTokens { get; } = maxTokens;

    public float[][] Encode(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var result = new float[inputs.Count][];
        for (int i = 0; i < result.Length; i++) result[i] = VectorOf(inputs[i].Key(), Dimension);
        progress?.Report((result.Length, result.Length));
        return result;
    }

    public Task<float[][]> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default) =>
        Task.FromResult(Encode(inputs));

    /// <summary>The unit vector of one key: xorshift64* draws seeded by the key, uniform in [-1, 1], L2-normalised.</summary>
    public static float[] VectorOf(TextKey key, int dimension)
    {
        ulong state = (key.W0 ^ key.W1 ^ key.W2 ^ key.W3) | 1;
        var v = new float[dimension];
        for (int j = 0; j < dimension; j++)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ulong x = state * 0x2545F4914F6CDD1DUL;
            v[j] = (float)((x >> 11) * (1.0 / (1UL << 53)) * 2 - 1);
        }
        SentencePooling.Normalise(v);
        return v;
    }

    public void Dispose() { }
}
