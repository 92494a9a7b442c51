using BayesianRouter.Data;
using BayesianRouter.Features;

namespace BayesianRouter.Encoding;

/// <summary>
/// The pair features' encoder half (paper section 3.2): e = Enc(x || y_a), e' = Enc(x || y_b) with a frozen
/// <see cref="ITextEncoder"/>. An empty response leaves the prompt alone (then e = e'). Identical inputs are
/// encoded once per call, and with an <see cref="EmbeddingCache"/> once ever: a second run encodes nothing.
/// <para>
/// Thread-safe. <see cref="Embed"/> (a batch job) writes new embeddings to the cache before it returns, every
/// <see cref="ChunkSize"/> texts; <see cref="EmbedAsync"/> (a service's concurrent requests) queues them for the
/// cache's write-behind writer, so a request never waits for the disk, and, when the encoder is an
/// <see cref="IConcurrentTextEncoder"/> (<see cref="BatchingEncoder"/>), hands its texts to it without any lock, to be
/// batched with other requests' texts. A plain encoder is used by one caller at a time.
/// </para>
/// </summary>
public sealed class CachedPairEmbedder : IConcurrentPairEmbedder, IDisposable
{
    private readonly ITextEncoder _encoder;
    private readonly IConcurrentTextEncoder? _concurrent;
    private readonly SemaphoreSlim _exclusive = new(1, 1);
    private readonly bool _ownsEncoder;
    private long _textsEncoded;
    private bool _ownsCache;

    /// <param name="cache">Null: no disk cache (identical texts are still encoded once per call).</param>
    /// <param name="chunkSize">New embeddings are written to the cache every this many texts, so an interrupted run keeps its work.</param>
    public CachedPairEmbedder(ITextEncoder encoder, EmbeddingCache? cache, bool ownsEncoder = false, int chunkSize = 2048)
    {
        if (cache != null && (cache.EncoderId != encoder.Id || cache.Dimension != encoder.Dimension))
            throw new ArgumentException($"the cache belongs to encoder \"{cache.EncoderId}\" (dimension {cache.Dimension}), not \"{encoder.Id}\"");
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "must be at least 1");
        _encoder = encoder;
        _concurrent = encoder as IConcurrentTextEncoder;
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
    /// The built-in all-MiniLM-L6-v2 as a shared, batched resource for a service (<see cref="BatchingEncoder"/>: the
    /// texts of concurrent requests encoded together, length-bucketed), with a bounded disk cache under
    /// <paramref name="cacheRoot"/> (default <see cref="EmbeddingCache.DefaultRoot"/>), or none.
    /// </summary>
    public static CachedPairEmbedder CreateSharedMiniLm(EncoderOptions? options = null, BatchingEncoderOptions? batching = null,
        string? cacheRoot = null, bool useCache = true, EmbeddingCacheOptions? cacheOptions = null)
    {
        batching ??= new BatchingEncoderOptions();
        var encoderOptions = (options ?? new EncoderOptions()) with { Threads = batching.ThreadsPerWorker };
        var encoder = new BatchingEncoder(MiniLmEncoder.Create(encoderOptions), batching);
        return useCache ? CreateCached(encoder, cacheRoot, cacheOptions) : new CachedPairEmbedder(encoder, null, ownsEncoder: true);
    }

    /// <summary>
    /// Any encoder (e.g. <see cref="BertOnnxEncoder.FromFiles"/>) with a disk cache under <paramref name="cacheRoot"/>
    /// (default <see cref="EmbeddingCache.DefaultRoot"/>), or none. The embedder owns the encoder and disposes it.
    /// </summary>
    public static CachedPairEmbedder Create(ITextEncoder encoder, string? cacheRoot = null, bool useCache = true) =>
        useCache ? CreateCached(encoder, cacheRoot, null) : new CachedPairEmbedder(encoder, null, ownsEncoder: true);

    /// <summary>
    /// Any encoder with a disk cache under <paramref name="cacheRoot"/> (default <see cref="EmbeddingCache.DefaultRoot"/>)
    /// bounded by <paramref name="cacheOptions"/> (default: <see cref="EmbeddingCacheOptions"/>'s). The embedder owns
    /// both: disposing it writes what the cache still queues and disposes the encoder.
    /// </summary>
    public static CachedPairEmbedder CreateCached(ITextEncoder encoder, string? cacheRoot, EmbeddingCacheOptions? cacheOptions)
    {
        try
        {
            var cache = new EmbeddingCache(cacheRoot ?? EmbeddingCache.DefaultRoot(), encoder.Id, encoder.Dimension, cacheOptions);
            return new CachedPairEmbedder(encoder, cache, ownsEncoder: true) { _ownsCache = true };
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
    public long TextsEncoded => Interlocked.Read(ref _textsEncoded);

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
            var vectors = EncodeExclusive(chunk.Select(c => c.Input).ToArray(), chunkProgress);
            if (vectors.Length != count) throw new InvalidOperationException($"encoder returned {vectors.Length} vectors for {count} texts");
            Interlocked.Add(ref _textsEncoded, count);
            for (int k = 0; k < count; k++) computed[start + k] = vectors[k];
            Cache?.Add(chunk.Select((c, k) => (c.Key, vectors[k])).ToList());
        }
        for (int i = 0; i < inputs.Count; i++) result[i] ??= computed[missing[keys[i]]];
        progress?.Report((missingInputs.Count, missingInputs.Count));
        return result;
    }

    /// <summary>
    /// Embeds every pair, in order, with the cache's write-behind writer and, for an <see cref="IConcurrentTextEncoder"/>,
    /// no lock: what a service's concurrent requests call. Cancelling stops the wait; texts already handed to the encoder
    /// are still encoded and cached (a retried request finds them).
    /// </summary>
    public async Task<IReadOnlyList<PairEmbedding>> EmbedAsync(IReadOnlyList<PreferencePair> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var inputs = new EncoderInput[2 * pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            inputs[2 * i] = new EncoderInput(pairs[i].Prompt, pairs[i].ResponseA);
            inputs[2 * i + 1] = new EncoderInput(pairs[i].Prompt, pairs[i].ResponseB);
        }
        var vectors = await EmbedTextsAsync(inputs, cancellationToken).ConfigureAwait(false);
        var result = new PairEmbedding[pairs.Count];
        for (int i = 0; i < pairs.Count; i++) result[i] = new PairEmbedding(vectors[2 * i], vectors[2 * i + 1]);
        return result;
    }

    /// <summary>Embeds inputs, in order, as <see cref="EmbedTexts"/> does, but queues new embeddings for the cache's writer (see <see cref="EmbedAsync"/>).</summary>
    public async Task<float[][]> EmbedTextsAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var result = new float[inputs.Count][];
        var keys = new TextKey[inputs.Count];
        var missing = new Dictionary<TextKey, int>();
        var missingInputs = new List<EncoderInput>();
        var missingKeys = new List<TextKey>();
        for (int i = 0; i < inputs.Count; i++)
        {
            keys[i] = inputs[i].Key();
            if (Cache != null && Cache.TryGet(keys[i], out var cached)) result[i] = cached;
            else if (missing.TryAdd(keys[i], missingInputs.Count))
            {
                missingInputs.Add(inputs[i]);
                missingKeys.Add(keys[i]);
            }
        }
        if (missingInputs.Count == 0) return result;
        var encoding = EncodeAndCacheAsync(missingInputs.ToArray(), missingKeys.ToArray());
        var computed = await encoding.WaitAsync(cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < inputs.Count; i++) result[i] ??= computed[missing[keys[i]]];
        return result;
    }

    /// <summary>Encodes (not cancellable: the work is shared) and queues the results for the cache.</summary>
    private async Task<float[][]> EncodeAndCacheAsync(EncoderInput[] inputs, TextKey[] keys)
    {
        float[][] vectors;
        if (_concurrent != null) vectors = await _concurrent.EncodeAsync(inputs).ConfigureAwait(false);
        else
        {
            await _exclusive.WaitAsync().ConfigureAwait(false);
            try
            {
                vectors = await Task.Run(() => _encoder.Encode(inputs)).ConfigureAwait(false);
            }
            finally
            {
                _exclusive.Release();
            }
        }
        if (vectors.Length != inputs.Length) throw new InvalidOperationException($"encoder returned {vectors.Length} vectors for {inputs.Length} texts");
        Interlocked.Add(ref _textsEncoded, inputs.Length);
        if (Cache != null)
        {
            var entries = new (TextKey, float[])[inputs.Length];
            for (int k = 0; k < inputs.Length; k++) entries[k] = (keys[k], vectors[k]);
            Cache.Enqueue(entries);
        }
        return vectors;
    }

    /// <summary>One synchronous encoder call; a plain (not concurrent) encoder serves one caller at a time.</summary>
    private float[][] EncodeExclusive(EncoderInput[] inputs, IProgress<(int Done, int Total)>? progress)
    {
        if (_concurrent != null) return _encoder.Encode(inputs, progress);
        _exclusive.Wait();
        try
        {
            return _encoder.Encode(inputs, progress);
        }
        finally
        {
            _exclusive.Release();
        }
    }

    /// <summary>Writes what the cache's writer still holds (closing the cache when this embedder made it) and, when owned, disposes the encoder.</summary>
    public void Dispose()
    {
        if (_ownsCache) Cache?.Dispose();
        else Cache?.Flush();
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
