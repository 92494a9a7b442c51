using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BayesianRouter.Speed;
using BayesianRouter.Routing;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter bench routing</c>: select + update speed of the Thompson-sampling router (RoutingSpeedBenchmark).</summary>
public static class BenchRoutingCommand
{
    public static Command Create(CliIO io)
    {
        var dim = new Option<int?>("--dim", "-d")
        {
            Description = "Feature dimension d of the pair vectors. Omit it to measure d in {64, 128, 384, 576}.",
        };
        var arms = new Option<int?>("--arms", "-n")
        {
            Description = "Number of arms N (reward models in the pool). Omit it to measure N in {4, 8, 16}.",
        };
        var batch = new Option<int>("--batch-size", "-b")
        {
            Description = "Pairs per batch: each timed step routes a batch (select) and learns from all its pairs (update).",
            DefaultValueFactory = _ => 64,
        };
        var batches = new Option<int>("--batches", "-k")
        {
            Description = "Timed batches per configuration (after the warm-up batches).",
            DefaultValueFactory = _ => 20,
        };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Untimed batches run first (at least this many, and for at least 0.5 s; 0 = no warm-up), so the runtime has compiled the optimised code before timing.",
            DefaultValueFactory = _ => 20,
        };
        var seed = new Option<long>("--seed", "-s")
        {
            Description = "Seed of the random features, rewards and the router's draws.",
            DefaultValueFactory = _ => 0,
        };
        var forgetting = new Option<double>("--forgetting")
        {
            Description = "Forgetting factor gamma in (0, 1] of the measured router: 1 = the paper (no forgetting); below 1 every " +
                          "batch first pulls each arm's posterior toward its prior, an O(d^3) refactorisation per arm.",
            DefaultValueFactory = _ => 1.0,
        };
        var draws = new Option<int>("--mc-draws")
        {
            Description = "Monte-Carlo draws per pair for the selection-probability estimate (0 = not estimated, the default).",
            DefaultValueFactory = _ => 0,
        };
        var json = new Option<bool>("--json")
        {
            Description = "Also print the result as JSON on the last line: {\"dim\": D, \"arms\": N, \"batch\": B, \"us_per_pair\": X} " +
                          "for one configuration, {\"batch\": B, \"results\": [...]} for a table.",
        };
        var model = new Option<string>("--online-model")
        {
            Description = "The router measured: paper = linear Thompson sampling on h (the tables in docs/routing.md); hierarchical = the " +
                          "bayesian-router's default online model (random BT head over h, 8 domains, 1,000 revisited prompts).",
            DefaultValueFactory = _ => "paper",
        };
        model.AcceptOnlyFromAmong("paper", "hierarchical");
        var cmd = new Command("routing",
            "Measure the Thompson-sampling router's select + update time per pair (microseconds) on seeded random " +
            "features: one configuration with --dim and --arms, otherwise the table over d in {64, 128, 384, 576} and " +
            "N in {4, 8, 16}. Build with -c Release for meaningful figures. \"us per pair\" is the wall-clock time over all " +
            "timed batches, \"fastest batch\" the same for the quickest batch (close to the cost on idle cores: other " +
            "processes on the machine inflate the mean, rarely the fastest batch), \"cpu us per pair\" the process CPU time " +
            "over the timed batches (all threads).");
        foreach (var o in new Option[] { dim, arms, batch, batches, warmup, seed, forgetting, draws, model, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int? d = parse.GetValue(dim), n = parse.GetValue(arms);
            int b = parse.GetValue(batch), k = parse.GetValue(batches), w = parse.GetValue(warmup);
            if (d is <= 0) throw new CliUsageException($"--dim must be positive (got {d})");
            if (n is <= 0) throw new CliUsageException($"--arms must be positive (got {n})");
            if (b <= 0) throw new CliUsageException($"--batch-size must be positive (got {b})");
            if (k <= 0) throw new CliUsageException($"--batches must be positive (got {k})");
            if (w < 0) throw new CliUsageException($"--warmup cannot be negative (got {w})");
            double gamma = parse.GetValue(forgetting);
            if (!(gamma > 0 && gamma <= 1)) throw new CliUsageException($"--forgetting must be in (0, 1] (got {gamma})");
            int m = parse.GetValue(draws);
            if (m < 0) throw new CliUsageException($"--mc-draws cannot be negative (got {m})");
            if (parse.GetValue(model) == "hierarchical" && (gamma < 1 || m > 0))
                throw new CliUsageException("--forgetting and --mc-draws apply to --online-model paper only");
            var dims = d is { } dd ? [dd] : RoutingSpeedBenchmark.DefaultDimensions;
            var armCounts = n is { } nn ? [nn] : RoutingSpeedBenchmark.DefaultArms;
            var results = new List<RoutingSpeed>();
            foreach (var dv in dims)
                foreach (var nv in armCounts)
                {
                    io.Err.WriteLine($"measuring d={dv} arms={nv} batch={b} ({w} warm-up + {k} timed batches)");
                    results.Add(RoutingSpeedBenchmark.Measure(dv, nv, b, k, parse.GetValue(seed), w, forgetting: gamma, monteCarloDraws: m,
                        model: parse.GetValue(model) == "hierarchical" ? OnlineModel.Hierarchical : OnlineModel.Paper));
                }
            Print(io, results);
            if (parse.GetValue(json))
            {
                var rows = results.Select(r => new Dictionary<string, object>
                {
                    ["dim"] = r.Dimension, ["arms"] = r.Arms, ["batch"] = r.Batch, ["us_per_pair"] = Math.Round(r.MicrosecondsPerPair, 3),
                }).ToList();
                io.Out.WriteLine(JsonSerializer.Serialize<object>(results.Count == 1 ? rows[0] : new Dictionary<string, object> { ["batch"] = b, ["results"] = rows }));
            }
            return 0;
        });
        return cmd;
    }

    private static void Print(CliIO io, List<RoutingSpeed> results)
    {
        var table = new Table().AddColumns("d", "arms", "batch", "us per pair", "pairs per second", "fastest batch", "cpu us per pair");
        foreach (var c in table.Columns) c.RightAligned();
        foreach (var r in results)
            table.AddRow(
                r.Dimension.ToString(CultureInfo.InvariantCulture), r.Arms.ToString(CultureInfo.InvariantCulture),
                r.Batch.ToString(CultureInfo.InvariantCulture), r.MicrosecondsPerPair.ToString("F1", CultureInfo.InvariantCulture),
                (1e6 / r.MicrosecondsPerPair).ToString("F0", CultureInfo.InvariantCulture),
                r.FastestBatchMicrosecondsPerPair.ToString("F1", CultureInfo.InvariantCulture),
                r.CpuMicrosecondsPerPair.ToString("F1", CultureInfo.InvariantCulture));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out), Interactive = InteractionSupport.No });
        console.Profile.Width = Math.Max(console.Profile.Width, 100);
        console.Write(table);
        io.Out.Flush();
    }
}
