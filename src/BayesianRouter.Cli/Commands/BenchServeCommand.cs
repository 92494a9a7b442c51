using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BayesianRouter.Encoding;
using BayesianRouter.Offline;
using BayesianRouter.Service;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter bench serve</c>: throughput of the routing service (ServeBenchmark).</summary>
public static class BenchServeCommand
{
    public static Command Create(CliIO io)
    {
        var clients = new Option<int>("--clients") { Description = "Concurrent clients, each sending label + feedback requests one after the other.", DefaultValueFactory = _ => 8 };
        var batch = new Option<int>("--batch") { Description = "Pairs per request.", DefaultValueFactory = _ => 64 };
        var batches = new Option<int>("--batches") { Description = "Timed batches per client.", DefaultValueFactory = _ => 40 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed batches per client first.", DefaultValueFactory = _ => 3 };
        var rms = new Option<int>("--rms") { Description = "Instant in-process RMs in the pool.", DefaultValueFactory = _ => 4 };
        var durability = new Option<LogDurability>("--durability") { Description = "full (fsync per commit) or normal, as `serve --durability`.", DefaultValueFactory = _ => LogDurability.Full };
        var draws = new Option<int>("--mc-draws") { Description = "Choice probabilities as `serve --mc-draws`: 0 (default) exact, M > 0 Monte-Carlo with M draws.", DefaultValueFactory = _ => 0 };
        var distinct = new Option<int>("--distinct-pairs") { Description = "Distinct synthetic pairs the clients cycle through (embedded once before timing, so the cache is warm).", DefaultValueFactory = _ => 512 };
        var sample = new Option<int>("--encoder-sample") { Description = "Pairs encoded without a cache to time the encoder (0 = skip).", DefaultValueFactory = _ => 64 };
        var cache = new Option<DirectoryInfo?>("--encoder-cache") { Description = "Embedding cache folder (default: $BAYESROUTER_CACHE, else ~/.cache/bayesrouter/embeddings)." };
        var router = new Option<FileInfo?>("--router") { Description = "An offline router artifact (offline train --out): the service routes with it as `serve --router` does, with the live default online model unless --online-model says otherwise; its pool names the instant RMs (--rms is ignored). Default: no router (the zero-prior linear model on the raw embeddings)." };
        var onlineModel = new Option<string>("--online-model") { Description = "With --router: hierarchical or paper (default: the live default, as serve)." };
        onlineModel.AcceptOnlyFromAmong("hierarchical", "paper");
        var json = new Option<bool>("--json") { Description = "Also print the result as one JSON object on the last line." };
        var cmd = new Command("serve",
            "Measure the routing service: pairs per second through POST /v1/label + POST /v1/feedback of a real server on loopback " +
            "(SQLite log, every decision committed before its response) with instant RMs and a warm embedding cache, from concurrent " +
            "clients in this process; p50/p99 latency of a batch (label + feedback); CPU and wall time per pair against the encoder's " +
            "own time per pair, measured in the same process. A benchmark: build with -c Release.");
        foreach (var o in new Option[] { clients, batch, batches, warmup, rms, router, onlineModel, durability, draws, distinct, sample, cache, json }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            int encoderSample = parse.GetValue(sample);
            var routerFile = parse.GetValue(router);
            if (routerFile is null && parse.GetValue(onlineModel) is not null)
                throw new CliUsageException("--online-model needs --router (without a router the service has no offline prior to build either model on)");
            var offline = routerFile is null ? null : OfflineRouter.Load(routerFile.FullName);
            var encoderOptions = new EncoderOptions { MaxTokens = offline?.MaxTokens ?? new EncoderOptions().MaxTokens };
            using var embedder = CachedPairEmbedder.CreateMiniLm(encoderOptions, parse.GetValue(cache)?.FullName);
            LiveCliOptions.CheckEncoder(offline, routerFile?.FullName, embedder);
            using var uncached = encoderSample > 0 ? CachedPairEmbedder.CreateMiniLm(encoderOptions, useCache: false) : null;
            ServeBenchmarkResult r;
            try
            {
                r = await ServeBenchmark.RunAsync(new ServeBenchmarkOptions
                {
                    Embedder = embedder, UncachedEmbedder = uncached, Clients = parse.GetValue(clients), BatchSize = parse.GetValue(batch),
                    Batches = parse.GetValue(batches), WarmupBatches = parse.GetValue(warmup), Rms = parse.GetValue(rms),
                    Router = offline, Model = parse.GetValue(onlineModel) switch { "paper" => Routing.OnlineModel.Paper, "hierarchical" => Routing.OnlineModel.Hierarchical, _ => null },
                    Durability = parse.GetValue(durability), MonteCarloDraws = parse.GetValue(draws), DistinctPairs = parse.GetValue(distinct), EncoderSample = Math.Max(1, encoderSample),
                }, new SyncProgress<string>(m => io.Err.WriteLine($"[bench serve] {m}")));
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
            static string F(double x, string f = "F1") => x.ToString(f, CultureInfo.InvariantCulture);
            var table = new Table().AddColumns("measure", "value");
            table.AddRow("pairs per second (label + feedback)", F(r.PairsPerSecond, "F0"));
            table.AddRow("pairs timed / seconds", $"{r.Pairs} / {F(r.Seconds, "F2")}");
            table.AddRow("batch latency p50 / p99 (ms)", $"{F(r.BatchP50Ms)} / {F(r.BatchP99Ms)}");
            table.AddRow("  label p50 / p99 (ms)", $"{F(r.LabelP50Ms)} / {F(r.LabelP99Ms)}");
            table.AddRow("  feedback p50 / p99 (ms)", $"{F(r.FeedbackP50Ms)} / {F(r.FeedbackP99Ms)}");
            table.AddRow("process CPU per pair (us, clients included)", F(r.ServiceCpuMicrosecondsPerPair));
            table.AddRow("wall time per pair (us)", F(r.ServiceWallMicrosecondsPerPair));
            if (r.EncoderMicrosecondsPerPair is { } enc)
            {
                table.AddRow("encoder per pair, no cache (us)", F(enc, "F0"));
                table.AddRow("service CPU / encoder", F(r.ServiceCpuMicrosecondsPerPair / enc, "F4"));
            }
            table.AddRow("decisions / feedback committed", $"{r.DecisionsCommitted} / {r.FeedbackCommitted} (durability {r.Durability})");
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out), Interactive = InteractionSupport.No });
            console.Write(table);
            io.Out.Flush();
            if (parse.GetValue(json))
                io.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            return 0;
        });
        return cmd;
    }
}
