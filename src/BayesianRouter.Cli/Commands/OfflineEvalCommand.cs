using System.CommandLine;
using BayesianRouter.Data;
using BayesianRouter.Evaluation;
using BayesianRouter.Offline;
using BayesianRouter.Training;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter offline eval</c>: routing accuracy of a trained router (paper Table 2 layout).</summary>
public static class OfflineEvalCommand
{
    public static Command Create(CliIO io)
    {
        var o = new OfflineCliOptions();
        var routerOpt = new Option<FileInfo>("--router") { Description = "Router file written by `offline train`.", Required = true };
        o.Pairs.Description = "Labelled pairs to evaluate on. Default: the held-out groups of the router's training run (its pair file must be unchanged).";
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line: {\"filtered\": {\"router\", \"majority\", \"random\", \"oracle\", \"single\": {rm: accuracy}}, \"unfiltered\": {...}, \"pairs_filtered\", \"pairs\"}." };
        var ablation = new Option<bool>("--ablation-no-cls")
        {
            Description = "Also retrain the router without the CLS head (lambda = 0, otherwise the recorded options, seed and training side) and report it as \"router_no_cls\".",
        };
        var cmd = new Command("eval",
            "Routing accuracy of the router's choice (argmax of the BT scores) beside each single RM, majority vote (a tied " +
            "vote counts half), random routing (the mean over RMs) and the oracle, overall and per domain: on the pairs where " +
            "some pool RM is right (filtered, as in the paper) and on all labelled pairs.");
        cmd.Options.Add(routerOpt);
        cmd.Options.Add(o.Pairs);
        cmd.Options.Add(json);
        cmd.Options.Add(ablation);
        o.AddEncoder(cmd, withMaxTokens: false);
        cmd.SetAction(r =>
        {
            var routerPath = r.GetValue(routerOpt)!.FullName;
            var router = OfflineRouter.Load(routerPath);
            var run = OfflineRunRecord.FromMetadata(router.Metadata);
            var cache = r.GetValue(o.EncoderCache);

            IReadOnlyList<PreferencePair> evalPairs;
            string source;
            List<PreferencePair>? runPairs = null;
            Data.Splits.PairSplit? runSplit = null;
            if (run != null && (r.GetValue(o.Pairs) == null || r.GetValue(ablation)))
                (runPairs, runSplit) = run.Reproduce(OfflineRunRecord.HeldOutPath(routerPath));
            if (r.GetValue(o.Pairs) is { } pairsFile)
            {
                evalPairs = PairFile.ReadAll(pairsFile.FullName);
                source = pairsFile.FullName;
            }
            else
            {
                if (run == null) throw new CliUsageException($"{routerPath} records no training run: pass --pairs FILE to evaluate on");
                evalPairs = runSplit!.TestOf(runPairs!);
                source = $"{run.PairsFile}, held-out groups of seed {run.Seed}";
            }
            if (!evalPairs.Any(p => p.Preferred != null)) throw new InvalidDataException($"{source}: no pair has a ground truth (\"preferred\") to evaluate against");
            io.Err.WriteLine($"evaluating on {evalPairs.Count} pairs ({source})");

            var embeddings = OfflineCliOptions.Embed(evalPairs, router.MaxTokens, cache, io, router.EncoderId, out _);
            OfflineRouter? noCls = null;
            if (r.GetValue(ablation))
            {
                if (run == null || !router.Metadata.TryGetValue("train.options", out var optionsJson))
                    throw new CliUsageException($"--ablation-no-cls: {routerPath} records no training run to repeat");
                var options = OfflineTrainingOptions.FromJson(optionsJson) with { Lambda = 0 };
                var trainPairs = runSplit!.TrainOf(runPairs!);
                var trainEmb = OfflineCliOptions.Embed(trainPairs, router.MaxTokens, cache, io, router.EncoderId, out _);
                noCls = new MultiTaskRouterTrainer().Train(trainPairs, trainEmb, router.Pool, options, OfflineCliOptions.TrainingProgress(io, "training w/o CLS: "));
            }
            var report = OfflineExperiment.Evaluate(router, noCls, evalPairs, embeddings);
            OfflineReportView.Write(io, report);
            if (r.GetValue(json)) io.Out.WriteLine(RoutingReportJson.Format(report));
            return 0;
        });
        return cmd;
    }
}
