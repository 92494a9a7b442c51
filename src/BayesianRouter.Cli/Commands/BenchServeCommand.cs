using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BayesianRouter.Encoding;
using BayesianRouter.Offline;
using BayesianRouter.Service;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter bench serve</c>: throughput of the routing service on fresh pairs (ServeBenchmark), or a soak (ServeSoak).</summary>
public static class BenchServeCommand
{
    public static Command Create(CliIO io)
    {
        var clients = new Option<int>("--clients") { Description = "Concurrent clients, each sending label + feedback requests one after the other.", DefaultValueFactory = _ => 8 };
        var batch = new Option<int?>("--batch") { Description = "Pairs per label request (default 16; 64 with --soak-pairs).", };
        var batches = new Option<int>("--batches") { Description = "Timed cold batches per client: every pair new (new prompt and responses of a few hundred tokens).", DefaultValueFactory = _ => 4 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed cold batches per client first (of at most 4 pairs).", DefaultValueFactory = _ => 1 };
        var warmBatches = new Option<int>("--warm-batches") { Description = "Timed warm batches per client afterwards: new pair ids whose texts the cache holds (the service without the encoder).", DefaultValueFactory = _ => 40 };
        var encoderPairs = new Option<int>("--encoder-pairs") { Description = "Fresh pairs the encoder alone encodes (no service, no cache; one call), before and after the service runs: the baseline of the cold figure (0 = skip).", DefaultValueFactory = _ => 64 };
        var rms = new Option<int>("--rms") { Description = "Instant in-process RMs in the pool.", DefaultValueFactory = _ => 4 };
        var durability = new Option<LogDurability>("--durability") { Description = "full (fsync per commit) or normal, as `serve --durability`.", DefaultValueFactory = _ => LogDurability.Full };
        var draws = new Option<int>("--mc-draws") { Description = "Choice probabilities as `serve --mc-draws`: 0 (default) exact, M > 0 Monte-Carlo with M draws.", DefaultValueFactory = _ => 0 };
        var cache = new Option<DirectoryInfo?>("--encoder-cache") { Description = "Embedding cache folder (default: a new temporary folder, removed afterwards, so the benchmark's texts are new to it)." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Encoder truncation without --router (with --router, the router's own setting).", DefaultValueFactory = _ => EncoderOptions.DefaultMaxTokens };
        var router = new Option<FileInfo?>("--router") { Description = "An offline router artifact (offline train --out): the service routes with it as `serve --router` does, with the live default online model unless --online-model says otherwise; its pool names the instant RMs (--rms is ignored). Default: no router (the zero-prior linear model on the raw embeddings)." };
        var onlineModel = new Option<string>("--online-model") { Description = "With --router: hierarchical or paper (default: the live default, as serve)." };
        onlineModel.AcceptOnlyFromAmong("hierarchical", "paper");
        var soak = new Option<long?>("--soak-pairs") { Description = "Soak instead: this many fresh pairs (e.g. 1000000) through the service with instant RMs and a fast stand-in encoder (NOT a model: a hash of each text, so millions of pairs take minutes) going through the same bounded embedding cache; reports resident memory and disk at 10% and at the end, and the decision log's bytes per decision." };
        var json = new Option<bool>("--json") { Description = "Also print the result as one JSON object on the last line." };
        var encoder = new EncoderCliOptions();
        var cmd = new Command("serve",
            "Measure the routing service as a trainer uses it: fresh pairs (every text new, so every text is encoded) through " +
            "POST /v1/label + POST /v1/feedback of a real server on loopback (SQLite log, every decision committed before its " +
            "response) with instant RMs, from concurrent clients in this process: pairs per second and p50/p99 latency per label " +
            "request; in the same run the encoder's own batched throughput with no service around it, and a warm-cache figure. " +
            "--soak-pairs N: memory and disk over a long run. A benchmark: build with -c Release.");
        foreach (var o in new Option[] { clients, batch, batches, warmup, warmBatches, encoderPairs, rms, router, onlineModel, durability, draws, cache, maxTokens, soak, json }) cmd.Options.Add(o);
        encoder.AddTo(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            encoder.Check(parse);
            var routerFile = parse.GetValue(router);
            if (routerFile is null && parse.GetValue(onlineModel) is not null)
                throw new CliUsageException("--online-model needs --router (without a router the service has no offline prior to build either model on)");
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out), Interactive = InteractionSupport.No });
            var progress = new SyncProgress<string>(m => io.Err.WriteLine($"[bench serve] {m}"));
            var cacheRoot = parse.GetValue(cache)?.FullName ?? Path.Combine(Path.GetTempPath(), $"bayesrouter-bench-cache-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
            bool scratch = parse.GetValue(cache) is null;
            try
            {
                if (parse.GetValue(soak) is { } soakPairs)
                {
                    if (routerFile is not null || parse.GetValue(encoder.Url) is not null)
                        throw new CliUsageException("--soak-pairs runs with its stand-in encoder and no router: leave out --router and --encoder");
                    return await Soak(io, parse, console, progress, soakPairs, parse.GetValue(batch) ?? 64, cacheRoot, encoder,
                        parse.GetValue(clients), parse.GetValue(rms), parse.GetValue(durability), parse.GetValue(draws), parse.GetValue(json));
                }
                var offline = routerFile is null ? null : OfflineRouter.Load(routerFile.FullName);
                var encoderOptions = new EncoderOptions { MaxTokens = offline?.MaxTokens ?? parse.GetValue(maxTokens) };
                using var embedder = encoder.Build(parse, encoderOptions, cacheRoot);
                LiveCliOptions.CheckEncoder(offline, routerFile?.FullName, embedder);
                var alone = new CachedPairEmbedder(embedder.Encoder, cache: null); // the same shared encoder, no cache, no service
                ServeBenchmarkResult r;
                try
                {
                    r = await ServeBenchmark.RunAsync(new ServeBenchmarkOptions
                    {
                        Embedder = embedder, EncoderAlone = alone, Clients = parse.GetValue(clients), BatchSize = parse.GetValue(batch) ?? 16,
                        Batches = parse.GetValue(batches), WarmupBatches = parse.GetValue(warmup), WarmBatches = parse.GetValue(warmBatches),
                        EncoderPairs = parse.GetValue(encoderPairs), Rms = parse.GetValue(rms), Router = offline,
                        Model = parse.GetValue(onlineModel) switch { "paper" => Routing.OnlineModel.Paper, "hierarchical" => Routing.OnlineModel.Hierarchical, _ => null },
                        Durability = parse.GetValue(durability), MonteCarloDraws = parse.GetValue(draws),
                    }, progress);
                }
                catch (ArgumentException e)
                {
                    throw new CliUsageException(e.Message);
                }
                static string F(double x, string f = "F1") => x.ToString(f, CultureInfo.InvariantCulture);
                var table = new Table().AddColumns("measure", "value");
                table.AddRow("[bold]cold pairs per second[/] (every pair new; label + feedback)", F(r.ColdPairsPerSecond));
                table.AddRow("  cold pairs / seconds", $"{r.ColdPairs} / {F(r.ColdSeconds, "F2")}");
                table.AddRow("  label request p50 / p99 (ms)", $"{F(r.P50Ms)} / {F(r.P99Ms)}");
                table.AddRow("  feedback request p50 / p99 (ms)", $"{F(r.FeedbackP50Ms)} / {F(r.FeedbackP99Ms)}");
                table.AddRow("  process CPU per cold pair (us, clients included)", F(r.ColdCpuMicrosecondsPerPair, "F0"));
                if (r.EncoderPairsPerSecond is { } enc)
                {
                    table.AddRow($"encoder alone, pairs per second ({r.EncoderPairs} fresh pairs, one call, no service; faster of {r.EncoderRunsPairsPerSecond.Count} runs)",
                        $"{F(enc)} ({string.Join(" / ", r.EncoderRunsPairsPerSecond.Select(x => F(x)))})");
                    table.AddRow("[bold]cold / encoder alone[/]", F(r.ColdVsEncoder!.Value, "F2"));
                }
                table.AddRow("warm pairs per second (texts cached)", F(r.WarmPairsPerSecond, "F0"));
                table.AddRow("  warm label p50 / p99 (ms)", $"{F(r.WarmP50Ms)} / {F(r.WarmP99Ms)}");
                table.AddRow("  process CPU per warm pair (us)", F(r.WarmCpuMicrosecondsPerPair, "F0"));
                if (embedder.Encoder is BatchingEncoder shared && shared.Calls > 0)
                    table.AddRow("encoder workers / mean texts per model call", $"{shared.Options.Workers} / {F((double)shared.TextsEncoded / shared.Calls)}");
                table.AddRow("decisions / feedback committed (cold + warm)", $"{r.DecisionsCommitted} / {r.FeedbackCommitted} (durability {r.Durability})");
                console.Write(table);
                io.Out.Flush();
                if (parse.GetValue(json))
                    io.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            finally
            {
                if (scratch)
                    try { Directory.Delete(cacheRoot, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        });
        return cmd;
    }

    private static async Task<int> Soak(CliIO io, ParseResult parse, IAnsiConsole console, IProgress<string> progress, long pairs, int batch, string cacheRoot,
        EncoderCliOptions encoder, int clients, int rms, LogDurability durability, int draws, bool json)
    {
        var cacheOptions = encoder.CacheOptions(parse);
        var standIn = new SyntheticTextEncoder();
        using var embedder = CachedPairEmbedder.CreateCached(standIn, cacheRoot, cacheOptions);
        progress.Report($"soak: {pairs} fresh pairs, {clients} clients x batches of {batch}; stand-in encoder (not a model) through a cache capped at {cacheOptions.MaxEntries} embeddings");
        ServeSoakResult r;
        try
        {
            r = await ServeSoak.RunAsync(new ServeSoakOptions
            {
                Embedder = embedder, CacheFolder = embedder.Cache!.Folder, Pairs = pairs, Clients = clients, BatchSize = batch, Rms = rms,
                Durability = durability, MonteCarloDraws = draws,
            }, progress);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }
        static string F(double x, string f = "F1") => x.ToString(f, CultureInfo.InvariantCulture);
        var table = new Table().AddColumns("measure", "at 10%", "at the end", "end / 10%");
        static string R(double? x) => x is { } v ? F(v, "F3") : "-";
        table.AddRow("resident memory (MB, after a full GC)", F(r.RssMbAt10Pct), F(r.RssMbAtEnd), R(r.RssRatio));
        table.AddRow("disk without the decision log (MB: embedding cache, checkpoint)", F(r.DiskMbAt10Pct, "F2"), F(r.DiskMbAtEnd, "F2"), R(r.DiskRatio));
        table.AddRow("decision log (MB)", F(r.DecisionLogMbAt10Pct), F(r.DecisionLogMbAtEnd), R(r.DecisionLogMbAt10Pct > 0 ? r.DecisionLogMbAtEnd / r.DecisionLogMbAt10Pct : null));
        console.Write(table);
        io.Out.WriteLine($"{r.Pairs} pairs in {F(r.Seconds)} s ({F(r.PairsPerSecond, "F0")} pairs/s); decision log {(r.DecisionLogBytesPerDecision is { } b ? F(b, "F0") : "-")} bytes per decision; " +
            $"peak resident {F(r.PeakRssMb)} MB; {r.DecisionsCommitted} decisions and {r.FeedbackCommitted} feedback items committed; cache {embedder.Cache.Count} embeddings in memory, {embedder.Cache.Evicted} evicted");
        io.Out.Flush();
        if (json) io.Out.WriteLine(JsonSerializer.Serialize(r));
        return 0;
    }
}
