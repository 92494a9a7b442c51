using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BayesianRouter.Evaluation;
using BayesianRouter.Offline;
using BayesianRouter.Training;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter offline experiment</c>: split + train + evaluate for several seeds; mean and spread.</summary>
public static class OfflineExperimentCommand
{
    public static Command Create(CliIO io)
    {
        var o = new OfflineCliOptions();
        o.Pairs.Required = true;
        o.Pool.Required = true;
        var seeds = new Option<int>("--seeds") { Description = "Number of seeded runs: seeds 1..N, each with its own held-out split and training seed.", DefaultValueFactory = _ => 5 };
        var ablation = new Option<bool>("--ablation-no-cls") { Description = "Also train each seed's router without the CLS head (lambda = 0) and report it as \"router_no_cls\"." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on the last line: per method {\"mean\", \"sd\"} of filtered and unfiltered accuracy, and the per-seed reports." };
        var cmd = new Command("experiment",
            "Repeat split + train + evaluate for seeds 1..N (the table in docs/offline-router.md): routing accuracy of the " +
            "router on each seed's held-out groups beside the best single RM of that held-out side (hindsight), each RM, " +
            "majority vote, random routing and the oracle, as mean ± standard deviation over seeds.");
        cmd.Options.Add(o.Pairs);
        cmd.Options.Add(o.Pool);
        o.AddSplit(cmd);
        cmd.Options.Add(seeds);
        o.AddTraining(cmd);
        o.AddTuning(cmd);
        o.AddEncoder(cmd, withMaxTokens: true);
        cmd.Options.Add(ablation);
        cmd.Options.Add(json);
        cmd.SetAction(r =>
        {
            int n = r.GetValue(seeds);
            if (n < 1) throw new CliUsageException($"--seeds {n}: must be at least 1");
            var pairsPath = r.GetValue(o.Pairs)!.FullName;
            var options = o.Training(r, 1);
            double fraction = o.ReadTestFraction(r);
            var (pairs, pool) = OfflineCliOptions.ReadPairs(pairsPath, r.GetValue(o.Pool)!);
            var embeddings = OfflineCliOptions.Embed(pairs, r.GetValue(o.MaxTokens), r.GetValue(o.EncoderCache), io, null, out var encoderId);
            options = options with { EncoderId = encoderId, MaxTokens = r.GetValue(o.MaxTokens) };

            var trainer = new MultiTaskRouterTrainer();
            var reports = new List<RoutingReport>();
            var clock = Stopwatch.StartNew();
            for (int seed = 1; seed <= n; seed++)
            {
                var run = new OfflineRunRecord(pairsPath, "", OfflineCliOptions.ParseSplit(r.GetValue(o.Split)), fraction, seed);
                var split = run.SplitOf(pairs);
                var chosen = NestedSelection.Run(trainer, split.TrainOf(pairs), split.TrainOf(embeddings), pool,
                    o.Candidates(r, options with { Seed = seed }), run.Split, o.ReadTuneShare(r), seed).Chosen;
                var result = OfflineExperiment.Run(trainer, pairs, embeddings, pool, chosen, split, r.GetValue(ablation));
                reports.Add(result.Report);
                var f = result.Report.Filtered.All;
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"seed {seed}: filtered router {100 * f.Routers[OfflineExperiment.RouterName]:F2}");
                if (r.GetValue(ablation)) line += string.Create(CultureInfo.InvariantCulture, $", w/o CLS {100 * f.Routers[OfflineExperiment.RouterWithoutClsName]:F2}");
                line += string.Create(CultureInfo.InvariantCulture,
                    $", best single {f.BestSingle.Rm} {100 * f.BestSingle.Accuracy:F2}, majority {100 * f.Majority:F2} ({result.Report.PairsFiltered} pairs; chosen: embedding scale {chosen.EmbeddingScale}, {chosen.Epochs} epochs)");
                io.Err.WriteLine(line);
            }
            io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n} seeds trained and evaluated in {clock.Elapsed.TotalSeconds:F1} s"));
            var summary = RoutingSummary.Of(reports);
            OfflineReportView.WriteSummary(io, summary);
            if (r.GetValue(json)) io.Out.WriteLine(SummaryJson(summary, reports, options));
            return 0;
        });
        return cmd;
    }

    private static string SummaryJson(RoutingSummary s, List<RoutingReport> reports, OfflineTrainingOptions options)
    {
        object Stats(IReadOnlyDictionary<string, SeedStat> d) =>
            s.Methods.ToDictionary(m => m, m => new Dictionary<string, double> { ["mean"] = Math.Round(d[m].Mean, 6), ["sd"] = Math.Round(d[m].Std, 6) });
        var doc = new Dictionary<string, object>
        {
            ["seeds"] = s.Seeds,
            ["options"] = JsonDocument.Parse(options.ToJson()).RootElement,
            ["filtered"] = Stats(s.Filtered),
            ["unfiltered"] = Stats(s.Unfiltered),
            ["runs"] = reports.Select(r => JsonDocument.Parse(RoutingReportJson.Format(r)).RootElement).ToArray(),
        };
        return JsonSerializer.Serialize(doc);
    }
}
