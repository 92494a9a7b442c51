using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BayesianRouter.Offline;
using BayesianRouter.Training;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter offline train</c>: split by group, embed, train the multi-task router, write the artifact.</summary>
public static class OfflineTrainCommand
{
    public static Command Create(CliIO io)
    {
        var o = new OfflineCliOptions();
        o.Pairs.Required = true;
        o.Pool.Required = true;
        var output = new Option<FileInfo>("--out", "-o")
        {
            Description = "Router file to write (atomically). The held-out groups go beside it as FILE.heldout.txt.",
            Required = true,
        };
        var cmd = new Command("train",
            "Train the offline router on one side of a seeded split by group: frozen MiniLM embeddings of each pair, one " +
            "fusing layer to d, a Bradley-Terry head on the disagreement set and a CLS head on every behaviour label " +
            "(L_bt + lambda L_cls, AdamW) for --epochs epochs (or early stopping with --validation-fraction).");
        cmd.Options.Add(o.Pairs);
        cmd.Options.Add(o.Pool);
        o.AddSplit(cmd);
        cmd.Options.Add(o.Seed);
        o.AddTraining(cmd);
        o.AddTuning(cmd);
        o.AddEncoder(cmd, withMaxTokens: true);
        cmd.Options.Add(output);
        cmd.SetAction(r =>
        {
            var pairsPath = r.GetValue(o.Pairs)!.FullName;
            var outPath = r.GetValue(output)!.FullName;
            OutputPath.CheckFile(outPath, "--out");
            OutputPath.CheckFile(OfflineRunRecord.HeldOutPath(outPath), "--out (its held-out list)");
            int seed = OfflineCliOptions.NonNegativeSeed(r, o.Seed);
            var options = o.Training(r, seed);
            double fraction = o.ReadTestFraction(r);
            var (pairs, pool) = OfflineCliOptions.ReadPairs(pairsPath, r.GetValue(o.Pool)!);

            var run = new OfflineRunRecord(pairsPath, OfflineRunRecord.FileSha256(pairsPath), OfflineCliOptions.ParseSplit(r.GetValue(o.Split)), fraction, seed);
            var split = run.SplitOf(pairs);
            if (split.Train.Count == 0 || split.Test.Count == 0)
                throw new CliUsageException($"--test-fraction {fraction}: the split leaves {split.Train.Count} training and {split.Test.Count} held-out pairs; both need some");
            var trainPairs = split.TrainOf(pairs);
            io.Err.WriteLine($"{pairs.Count} pairs: {split.Train.Count} to train on, {split.Test.Count} held out ({split.TestGroups.Count} groups)");

            var embeddings = OfflineCliOptions.Embed(trainPairs, r.GetValue(o.MaxTokens), r.GetValue(o.EncoderCache), io, null, out var encoderId);
            options = options with { EncoderId = encoderId, MaxTokens = r.GetValue(o.MaxTokens) };
            var clock = Stopwatch.StartNew();
            var candidates = o.Candidates(r, options);
            if (candidates.Count > 1) io.Err.WriteLine($"choosing among {candidates.Count} option sets on a validation part of the training side, then retraining");
            var nested = NestedSelection.Run(new MultiTaskRouterTrainer(), trainPairs, embeddings, pool, candidates, run.Split,
                o.ReadTuneShare(r), seed, OfflineCliOptions.TrainingProgress(io, "training: "));
            var router = nested.Router.WithMetadata(run.ToMetadata());
            router.Save(outPath);
            OfflineRunRecord.WriteHeldOut(OfflineRunRecord.HeldOutPath(outPath), split.TestGroups);
            io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained in {clock.Elapsed.TotalSeconds:F1} s (chosen: embedding scale {nested.Chosen.EmbeddingScale}, {nested.Chosen.Epochs} epochs; online calibration a={nested.Calibration.Scale:G4} c={nested.Calibration.Offset:G4}, {nested.Calibration.Levels}); wrote {outPath} and {OfflineRunRecord.HeldOutPath(outPath)}"));
            if (nested.Incumbent == OfflineIncumbent.BestSingle)
                io.Out.WriteLine($"neither the router nor the per-domain table was credibly more accurate than {router.Metadata["nested.single_rm"]} on its validation part: shrunk to the best single RM, {router.ShrunkTo} (--no-shrink keeps the router)");
            else if (nested.Incumbent == OfflineIncumbent.DomainTable)
                io.Out.WriteLine($"the per-domain table was credibly more accurate than {router.Metadata["nested.single_rm"]} on its validation part: the artifact routes by it ({string.Join(", ", router.DomainTablePicks!.Select(kv => $"{kv.Key}={kv.Value}"))}; other domains: {router.Metadata["nested.single_rm"]}; --no-shrink keeps the router)");
            io.Out.WriteLine($"evaluate on the held-out groups: bayesrouter offline eval --router {outPath}");
            return 0;
        });
        return cmd;
    }
}
