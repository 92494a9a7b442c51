using BayesianRouter.Data;
using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

/// <summary>The shared encoder batches concurrent callers' texts, answers each in its order, and never serialises callers behind a lock.</summary>
public sealed class BatchingEncoderTests
{
    /// <summary>Records every call; the first call waits for <see cref="Release"/>, so the texts of later callers queue up meanwhile.</summary>
    private sealed class GatedEncoder(bool gateFirstCall = true) : ITextEncoder
    {
        private readonly ManualResetEventSlim _gate = new(!gateFirstCall);
        private int _inFlight;
        public string Id => "gated-test-encoder";
        public int Dimension => 8;
        public int MaxTokens => 256;
        public List<int> CallSizes { get; } = new();
        public int MaxInFlight { get; private set; }
        public ManualResetEventSlim Started { get; } = new(false);

        public float[][] Encode(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null)
        {
            int now = Interlocked.Increment(ref _inFlight);
            lock (CallSizes)
            {
                CallSizes.Add(inputs.Count);
                MaxInFlight = Math.Max(MaxInFlight, now);
            }
            Started.Set();
            _gate.Wait();
            Thread.Sleep(20);
            Interlocked.Decrement(ref _inFlight);
            if (inputs.Any(i => i.Prompt == "poison")) throw new InvalidOperationException("the model failed on this batch");
            return inputs.Select(CountingEncoder.VectorOf).ToArray();
        }

        public void Release() => _gate.Set();
        public void Dispose() { }
    }

    private static EncoderInput[] Texts(string prefix, int n) => Enumerable.Range(0, n).Select(i => new EncoderInput($"{prefix} prompt {i}", $"response {i}")).ToArray();

    [Fact]
    public async Task Callers_waiting_while_the_worker_is_busy_are_encoded_together_in_one_call_each_in_its_order()
    {
        var inner = new GatedEncoder();
        using var shared = new BatchingEncoder(inner, new BatchingEncoderOptions { Workers = 1, MaxTexts = 64, Window = TimeSpan.Zero });
        var first = shared.EncodeAsync(Texts("first", 3));
        Assert.True(inner.Started.Wait(TimeSpan.FromSeconds(30)));
        var waiting = Enumerable.Range(0, 5).Select(c => (Inputs: Texts($"caller {c}", 4), Task: (Task<float[][]>?)null)).ToArray();
        for (int c = 0; c < waiting.Length; c++) waiting[c].Task = shared.EncodeAsync(waiting[c].Inputs);
        inner.Release();
        Assert.Equal(Texts("first", 3).Select(CountingEncoder.VectorOf), await first);
        foreach (var (inputs, task) in waiting) Assert.Equal(inputs.Select(CountingEncoder.VectorOf), await task!);
        Assert.Equal([3, 20], inner.CallSizes); // the five waiting callers' 20 texts in one call
        Assert.Equal(2, shared.Calls);
        Assert.Equal(23, shared.TextsEncoded);
    }

    [Fact]
    public async Task A_large_request_is_split_so_that_several_workers_share_it()
    {
        var inner = new GatedEncoder(gateFirstCall: false);
        using var shared = new BatchingEncoder(inner, new BatchingEncoderOptions { Workers = 2, MaxTexts = 8, Window = TimeSpan.Zero });
        var inputs = Texts("big", 40);
        Assert.Equal(inputs.Select(CountingEncoder.VectorOf), await shared.EncodeAsync(inputs));
        Assert.All(inner.CallSizes, size => Assert.True(size <= 8));
        Assert.Equal(40, inner.CallSizes.Sum());
        Assert.Equal(2, inner.MaxInFlight); // both workers ran at once: no lock around inference
    }

    [Fact]
    public async Task A_failed_call_fails_its_callers_only_and_the_encoder_goes_on()
    {
        var inner = new GatedEncoder(gateFirstCall: false);
        using var shared = new BatchingEncoder(inner, new BatchingEncoderOptions { Workers = 1, MaxTexts = 4, Window = TimeSpan.Zero });
        var bad = shared.EncodeAsync([new EncoderInput("poison")]);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Contains("failed on this batch", e.Message);
        var good = Texts("after", 3);
        Assert.Equal(good.Select(CountingEncoder.VectorOf), await shared.EncodeAsync(good));
    }

    [Fact]
    public async Task The_embedder_hands_concurrent_requests_to_the_shared_encoder_and_queues_cache_writes()
    {
        using var tmp = new TempFolder();
        var inner = new GatedEncoder(gateFirstCall: false);
        var shared = new BatchingEncoder(inner, new BatchingEncoderOptions { Workers = 2, MaxTexts = 16 });
        var cache = new EmbeddingCache(tmp.Path, shared.Id, shared.Dimension, new EmbeddingCacheOptions { FlushInterval = TimeSpan.FromHours(1) });
        using var embedder = new CachedPairEmbedder(shared, cache, ownsEncoder: true);
        var requests = Enumerable.Range(0, 6).Select(r => Enumerable.Range(0, 5).Select(i => new PreferencePair
        {
            Id = $"r{r}-{i}", Group = "", Prompt = $"prompt {r}-{i}", ResponseA = "a", ResponseB = $"b {r}",
        }).ToArray()).ToArray();
        var results = await Task.WhenAll(requests.Select(r => embedder.EmbedAsync(r)));
        for (int r = 0; r < requests.Length; r++)
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(CountingEncoder.VectorOf(new EncoderInput(requests[r][i].Prompt, "a")), results[r][i].E);
                Assert.Equal(CountingEncoder.VectorOf(new EncoderInput(requests[r][i].Prompt, requests[r][i].ResponseB)), results[r][i].EPrime);
            }
        Assert.Equal(60, embedder.TextsEncoded);
        Assert.Equal(60, cache.PendingWrites); // queued for the writer: no request waited for the disk
        Assert.Empty(Directory.Exists(cache.Folder) ? Directory.GetFiles(cache.Folder, "shard-*.bin") : []);
        var again = await embedder.EmbedAsync(requests[0]); // served from memory
        Assert.Equal(60, embedder.TextsEncoded);
        Assert.Equal(results[0].Select(p => p.E), again.Select(p => p.E));
        embedder.Dispose(); // flushes the queue
        Assert.Equal(60, new EmbeddingCache(tmp.Path, shared.Id, shared.Dimension).Count);
    }

    [Fact]
    public async Task A_plain_encoder_serves_concurrent_requests_one_at_a_time()
    {
        var inner = new GatedEncoder(gateFirstCall: false);
        using var embedder = new CachedPairEmbedder(inner, cache: null);
        var requests = Enumerable.Range(0, 4).Select(r => new[] { new PreferencePair { Id = $"{r}", Group = "", Prompt = $"p{r}", ResponseA = "a", ResponseB = "b" } }).ToArray();
        await Task.WhenAll(requests.Select(r => Task.Run(() => embedder.EmbedAsync(r))));
        Assert.Equal(1, inner.MaxInFlight);
        Assert.Equal(4, inner.CallSizes.Count);
    }
}
