using System.CommandLine;
using System.Diagnostics;
using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;
using BayesianRouter.Service;

namespace BayesianRouter.Cli.Commands;

/// <summary>
/// <c>bayesrouter label</c>: live routing of a whole pair file without a server. Every batch is committed to the decision
/// log under --state before the next starts, so a rerun after a crash continues where it stopped (and labels again the
/// pairs every RM failed on, keeping their decisions); the output is written (atomically) once every pair has a decision.
/// </summary>
public static class LabelCommand
{
    public static Command Create(CliIO io)
    {
        var live = new LiveCliOptions();
        var pairs = new Option<FileInfo>("--pairs") { Description = "Pair file to label (JSON Lines; README \"The pair file\"): prompts and the two responses.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Output pair file: the input pairs, each with the labelling RM's judgment added under \"judgments\" and the decision under \"routing\" (docs/pair-file.md).", Required = true };
        var state = new Option<DirectoryInfo?>("--state") { Description = "Folder of the decision log (default: OUT.state beside --out). Rerunning with the same folder resumes: pairs already decided are not routed again." };
        var batch = new Option<int>("--batch-size") { Description = "Pairs per routing batch (one RM call per RM per batch; one commit).", DefaultValueFactory = _ => 64 };
        var feedback = new Option<string>("--feedback") { Description = "none: only label. truth: after each batch, learn from reward 1 when the label matches the pair's \"preferred\" (pairs without it give no feedback): a dry run of the online router on recorded data.", DefaultValueFactory = _ => "none" };
        feedback.AcceptOnlyFromAmong("none", "truth");
        var cmd = new Command("label",
            "Label a whole pair file with live routing: each pair goes to one RM of the pool (Thompson sampling, with fallback to the " +
            "router's next choice when an RM fails), every decision is logged under --state, and the output pair file holds the " +
            "chosen RM's judgment and the decision fields. Resumable: rerun the same command after a crash.");
        live.AddTo(cmd);
        foreach (var o in new Option[] { pairs, output, state, batch, feedback }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, cancellationToken) =>
        {
            // Every option and both output paths are checked before any work: a bad value leaves nothing behind.
            int batchSize = parse.GetValue(batch);
            if (batchSize < 1) throw new CliUsageException($"--batch-size {batchSize}: must be at least 1");
            live.Check(parse);
            bool truth = parse.GetValue(feedback) == "truth";
            var outFile = parse.GetValue(output)!.FullName;
            OutputPath.CheckFile(outFile, "--out");
            var dir = parse.GetValue(state)?.FullName ?? outFile + ".state";
            OutputPath.CheckFolder(dir, parse.GetValue(state) is null ? "--out (its state folder OUT.state)" : "--state");
            if (!File.Exists(parse.GetValue(pairs)!.FullName)) throw new CliUsageException($"--pairs {parse.GetValue(pairs)!.FullName}: no such pair file");
            var input = PairFile.ReadAll(parse.GetValue(pairs)!.FullName);
            using var parts = live.Build(parse);
            Directory.CreateDirectory(dir);
            LiveCliOptions.KeepRouter(parts.Offline, dir);
            using var store = SqliteDecisionStore.Open(dir);
            var checkpoint = Path.Combine(dir, RoutingServer.CheckpointFileName);
            var session = RoutingSession.Open(parts.Setup, store, live.SessionOptions(parse, parts), checkpoint);
            var byId = input.ToDictionary(p => p.Id, StringComparer.Ordinal);

            // Resume: what the log already holds.
            var logged = new Dictionary<string, DecisionLogEntry>(StringComparer.Ordinal);
            foreach (var e in store.ReadDecisions())
            {
                if (!byId.ContainsKey(e.Decision.PairId))
                    throw new InvalidDataException($"{dir}: the decision log holds pair \"{e.Decision.PairId}\", which is not in {parse.GetValue(pairs)!.FullName}: use another --state for another pair file");
                logged[e.Decision.PairId] = e;
            }
            if (logged.Count > 0)
            {
                io.Err.WriteLine($"[label] resuming: {logged.Count} of {input.Count} pairs already decided in {dir}; checking they are the same pairs");
                CheckUnchanged(logged.Values, byId, parts, session, batchSize, parse.GetValue(pairs)!.FullName, dir);
            }
            var labeller = new PoolLabeller(parts.Rms);
            // Resume: pairs an earlier run left unlabelled (every RM failed on them) are labelled again, their decisions kept.
            var retry = logged.Values.Where(e => e.Label.Arm is null && e.Feedback is null).ToArray();
            if (retry.Length > 0)
            {
                io.Err.WriteLine($"[label] {retry.Length} pairs were left unlabelled by a failure: labelling them again (same decisions)");
                foreach (var chunk in retry.Chunk(batchSize))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var relabelled = await session.RelabelAsync(chunk.Select(e => (e.Decision, PairText.Of(byId[e.Decision.PairId]))).ToArray(), labeller, cancellationToken);
                    foreach (var l in relabelled) logged[l.Decision.PairId] = new DecisionLogEntry(l.Decision, l.Label, null);
                }
                int still = retry.Count(e => logged[e.Decision.PairId].Label.Arm is null);
                io.Err.WriteLine($"[label] labelled {retry.Length - still} of them{(still > 0 ? $"; {still} still unlabelled (rerun to try again)" : "")}");
            }
            if (truth)
            {
                var owed = logged.Values.Where(e => e.Feedback is null && e.Label.Arm is not null && byId[e.Decision.PairId].Preferred is not null).ToArray();
                if (owed.Length > 0) await session.LearnAsync(owed.Select(e => Truth(e.Decision, e.Label, byId[e.Decision.PairId])).ToArray());
            }

            var todo = input.Where(p => !logged.ContainsKey(p.Id)).ToArray();
            var clock = Stopwatch.StartNew();
            int done = 0, lastDecile = -1;
            for (int start = 0; start < todo.Length; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = todo.AsSpan(start, Math.Min(batchSize, todo.Length - start)).ToArray();
                var embeddings = parts.Embedder.Embed(chunk);
                var toLabel = chunk.Select((p, i) => new PairToLabel(p.Id, session.Features(embeddings[i], p.Domain), PairText.Of(p), p.Domain, p.Group)).ToArray();
                var labelled = await session.LabelAsync(toLabel, labeller, cancellationToken);
                if (truth)
                {
                    var items = labelled.Where(l => l.Label.Arm is not null && byId[l.Decision.PairId].Preferred is not null)
                        .Select(l => Truth(l.Decision, l.Label, byId[l.Decision.PairId])).ToArray();
                    if (items.Length > 0) await session.LearnAsync(items);
                }
                foreach (var l in labelled) logged[l.Decision.PairId] = new DecisionLogEntry(l.Decision, l.Label, null);
                done += chunk.Length;
                int decile = (int)(10L * done / todo.Length);
                if (decile != lastDecile || io.Interactive)
                {
                    lastDecile = decile;
                    double rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    io.Err.WriteLine($"[label] {done + input.Count - todo.Length}/{input.Count} pairs ({rate:F0} pairs/s, about {(todo.Length - done) / Math.Max(rate, 1e-9):F0} s left)");
                }
                if ((start / batchSize) % 50 == 49) await session.SaveCheckpointAsync(checkpoint);
            }
            await session.SaveCheckpointAsync(checkpoint);

            var written = input.Select(p => WithDecision(p, logged[p.Id])).ToList();
            PairFile.Write(outFile, written);
            Summarise(io, written, session, outFile, dir);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// A decided pair must be the pair it was decided for: its features (from its texts, through the encoder and the
    /// router's features) hash to the logged hash, and its domain and group are the logged ones. Otherwise the logged
    /// label would be written out for other texts. The encoder's cache makes this cheap on the machine that decided them.
    /// </summary>
    private static void CheckUnchanged(IEnumerable<DecisionLogEntry> logged, Dictionary<string, PreferencePair> byId, LiveParts parts,
        RoutingSession session, int batchSize, string pairsFile, string dir)
    {
        foreach (var chunk in logged.Chunk(batchSize))
        {
            var pairs = chunk.Select(e => byId[e.Decision.PairId]).ToArray();
            var embeddings = parts.Embedder.Embed(pairs);
            for (int i = 0; i < chunk.Length; i++)
            {
                var (d, p) = (chunk[i].Decision, pairs[i]);
                if (Decision.HashFeatures(session.Features(embeddings[i], p.Domain)) != d.FeaturesHash || p.Domain != d.Domain || p.Group != d.Group)
                    throw new InvalidDataException($"{pairsFile}: pair \"{p.Id}\" is not the pair the decision log in {dir} decided (its texts, domain or group changed): restore the file, or use another --state to label it anew");
            }
        }
    }

    private static FeedbackItem Truth(Decision d, LabelOutcome l, PreferencePair p) =>
        FeedbackItem.OfReward(d.DecisionId, l.Preferred == p.Preferred ? 1.0 : 0.0);

    /// <summary>The pair with the labelling RM's judgment under judgments and the decision under routing.</summary>
    public static PreferencePair WithDecision(PreferencePair p, DecisionLogEntry e)
    {
        var judgments = new Dictionary<string, Judgment>(p.Judgments, StringComparer.Ordinal);
        if (e.Label is { Rm: { } rm, Judgment: { } j }) judgments[rm] = j;
        return p with
        {
            Judgments = judgments,
            Routing = new RoutingRecord
            {
                DecisionId = e.Decision.DecisionId,
                Chosen = e.Decision.Rm,
                Probability = e.Decision.Probability,
                Rm = e.Label.Rm,
                Label = e.Label.Preferred,
                FallbackFrom = e.Label.FallbackFrom.Select(f => (f.Rm, f.Reason)).ToArray(),
                Error = e.Label.Error,
                FeaturesHash = e.Decision.FeaturesHash,
            },
        };
    }

    private static void Summarise(CliIO io, List<PreferencePair> written, RoutingSession session, string outFile, string dir)
    {
        var routed = written.Select(p => p.Routing!).ToArray();
        int unlabelled = routed.Count(r => r.Label is null), fellBack = routed.Count(r => r.FallbackFrom.Count > 0 && r.Rm != null);
        var withTruth = written.Where(p => p.Preferred is not null).ToArray();
        io.Out.WriteLine($"labelled {routed.Length - unlabelled} of {routed.Length} pairs ({fellBack} after a fallback, {unlabelled} by no RM); wrote {outFile}; decision log in {dir}");
        foreach (var g in routed.Where(r => r.Rm != null).GroupBy(r => r.Rm!).OrderBy(g => g.Key, StringComparer.Ordinal))
            io.Out.WriteLine($"  {g.Key}: {g.Count()} pairs ({(double)g.Count() / routed.Length:P1})");
        if (withTruth.Length > 0)
        {
            int right = withTruth.Count(p => p.Routing!.Label == p.Preferred);
            io.Out.WriteLine($"label accuracy against \"preferred\": {(double)right / withTruth.Length:F4} ({right}/{withTruth.Length})");
        }
        if (session.Statistics().Feedback > 0) io.Out.WriteLine($"feedback learned from: {session.Statistics().Feedback} pairs in {session.FeedbackBatches} batches");
        var b = session.Budget();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        io.Out.WriteLine(string.Create(inv, $"spend: {b.Spend:G6} over {b.Pairs} pairs, {b.MeanCost:F4} per pair ({b.FallbackSpend:G6} on fallbacks)")
            + (b.Budget is { } budget ? string.Create(inv, $"; budget {budget:G6} per pair, price {b.Price:G4}") : "; no budget"));
    }
}
