using BayesianRouter.Data;
using BayesianRouter.Features;

namespace BayesianRouter.Encoding;

/// <summary>
/// The pair features' encoder half (paper section 3.2): e = Enc(x || y_a), e' = Enc(x || y_b) with a frozen
/// <see cref="ITextEncoder"/>. An empty response leaves the prompt alone (then e = e'). Identical inputs are
/// encoded once per call, and with an <see cref="EmbeddingCache"/> once ever: a second run encodes nothing.
/// Not thread-safe.
/// </summary>
public sealed class CachedPairEmbedder : IPairEmbedder, IDisposable
{
    private readonly ITextEncoder _encoder;
    private readonly bool _ownsEncoder;

    /// <param name="cache">Null: no disk cache (identical texts are still encoded once per call).</param>
    /// <param name="chunkSize">New embeddings are written to the cache every this many texts, so an interrupted run keeps its work.</param>
    public CachedPairEmbedder(ITextEncoder encoder, EmbeddingCache? cache, bool ownsEncoder = false, int chunkSize = 2048)
    {
        if (cache != null && (cache.EncoderId != encoder.Id || cache.Dimension != encoder.Dimension))
            throw new ArgumentException($"the cache belongs to encoder \"{cache.EncoderId}\" (dimension {cache.Dimension}), not \"{encoder.Id}\"");
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "must be at least 1");
        _encoder = encoder;
        _ownsEncoder = ownsEncoder;
        Cache = cache;
        ChunkSize = chunkSize;
    }

    /// <summary>
    /// The built-in all-MiniLM-L6-v2 with a disk cache under <paramref name="cacheRoot"/> (default
    /// <see cref="EmbeddingCache.DefaultRoot"/>), or none when <paramref name="useCache"/> is false.
    /// </summary>
    public static CachedPairEmbedder CreateMiniLm(EncoderOptions? options = null, string? cacheRoot = null, bool useCache = true) =>
        Create(MiniLmEncoder.Create(options), cacheRoot, useCache);

    /// <summary>
    /// Any encoder (e.g. <see cref="BertOnnxEncoder.FromFiles"/>) with a disk cache under <paramref name="cacheRoot"/>
    /// (default <see cref="EmbeddingCache.DefaultRoot"/>), or none. The embedder owns the encoder and disposes it.
    /// </summary>
    public static CachedPairEmbedder Create(ITextEncoder encoder, string? cacheRoot = null, bool useCache = true)
    {
        try
        {
            var cache = useCache ? new EmbeddingCache(cacheRoot ?? EmbeddingCache.DefaultRoot(), encoder.Id, encoder.Dimension) : null;
            return new CachedPairEmbedder(encoder, cache, ownsEncoder: true);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    public ITextEncoder Encoder => _encoder;
    public EmbeddingCache? Cache { get; }
    public int ChunkSize { get; }

    /// <summary>The encoder's id: model, pooling and truncation.</summary>
    public string EncoderId => _encoder.Id;
    public int Dimension => _encoder.Dimension;
    public int MaxTokens => _encoder.MaxTokens;

    /// <summary>How many texts this embedder has sent to the encoder (cache hits and repeats excluded), over its lifetime.</summary>
    public long TextsEncoded { get; private set; }

    public IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null)
    {
        var inputs = new EncoderInput[2 * pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            inputs[2 * i] = new EncoderInput(pairs[i].Prompt, pairs[i].ResponseA);
            inputs[2 * i + 1] = new EncoderInput(pairs[i].Prompt, pairs[i].ResponseB);
        }
        // Progress in pairs, as IPairEmbedder promises: the share of texts encoded, scaled to the pair count.
        var pairProgress = progress == null ? null
            : new Scaled(progress, pairs.Count);
        var vectors = EmbedTexts(inputs, pairProgress);
        var result = new PairEmbedding[pairs.Count];
        for (int i = 0; i < pairs.Count; i++) result[i] = new PairEmbedding(vectors[2 * i], vectors[2 * i + 1]);
        return result;
    }

    /// <summary>
    /// Embeds inputs, in order: cached ones are read, each distinct missing one is encoded once and cached.
    /// Identical inputs get the same array (do not mutate it). Reports (texts encoded, texts to encode).
    /// </summary>
    public float[][] EmbedTexts(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null)
    {
        var result = new float[inputs.Count][];
        var keys = new TextKey[inputs.Count];
        var missing = new Dictionary<TextKey, int>();
        var missingInputs = new List<(TextKey Key, EncoderInput Input)>();
        for (int i = 0; i < inputs.Count; i++)
        {
            keys[i] = inputs[i].Key();
            if (Cache != null && Cache.TryGet(keys[i], out var cached)) result[i] = cached;
            else if (missing.TryAdd(keys[i], missingInputs.Count)) missingInputs.Add((keys[i], inputs[i]));
        }

        var computed = new float[missingInputs.Count][];
        for (int start = 0; start < missingInputs.Count; start += ChunkSize)
        {
            int count = Math.Min(ChunkSize, missingInputs.Count - start);
            var chunk = missingInputs.GetRange(start, count);
            int offset = start;
            var chunkProgress = progress == null ? null
                : new Offset(progress, offset, missingInputs.Count);
            var vectors = _encoder.Encode(chunk.Select(c => c.Input).ToArray(), chunkProgress);
            if (vectors.Length != count) throw new InvalidOperationException($"encoder returned {vectors.Length} vectors for {count} texts");
            TextsEncoded += count;
            for (int k = 0; k < count; k++) computed[start + k] = vectors[k];
            Cache?.Add(chunk.Select((c, k) => (c.Key, vectors[k])).ToList());
        }
        for (int i = 0; i < inputs.Count; i++) result[i] ??= computed[missing[keys[i]]];
        progress?.Report((missingInputs.Count, missingInputs.Count));
        return result;
    }

    public void Dispose()
    {
        if (_ownsEncoder) _encoder.Dispose();
    }

    /// <summary>Maps progress of one chunk onto the whole run.</summary>
    private sealed class Offset(IProgress<(int Done, int Total)> inner, int offset, int total) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => inner.Report((offset + value.Done, total));
    }

    /// <summary>Maps (texts done, texts total) onto (pairs done, pairs total).</summary>
    private sealed class Scaled(IProgress<(int Done, int Total)> inner, int total) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) =>
            inner.Report((value.Total == 0 ? total : (int)((long)total * value.Done / value.Total), total));
    }
}
