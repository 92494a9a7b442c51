using BayesianRouter.Data;
using BayesianRouter.Offline;
using BayesianRouter.Simulation;

namespace BayesianRouter.Experiments.Tests.Simulation;

public class SimulationRunnerTests
{
    private static readonly string[] Pool = ["good", "math", "coin", "never"];

    /// <summary>Shuffled batches of 16 and truth feedback (the protocol these tests were written for; the defaults are tested below).</summary>
    private static SimulationOptions Options(SplitKind split = SplitKind.Group) => new()
    {
        Pool = Pool,
        Seeds = [1, 2, 3],
        BatchSize = 16,
        Composition = BatchComposition.Shuffled,
        Feedback = new FeedbackModel.Truth(),
        Split = split,
        Offline = new OfflineTrainingOptions { Dimension = 4 },
    };

    private static SimulationResult Run(List<PreferencePair> pairs, SimulationOptions options, BiasOnlyTrainer? trainer = null) =>
        new SimulationRunner(new HashEmbedder(), trainer ?? new BiasOnlyTrainer()).Run(pairs, null, options);

    [Fact]
    public void Where_the_per_domain_table_is_credibly_better_than_the_best_single_RM_offline_only_and_the_bayesian_router_route_by_it()
    {
        // "good" is right on 80% of the pairs, "math" on every math pair: the table (math on math, good on chat: about
        // 0.9) beats good alone (0.8), and a router that ignores the domain is good alone
        var pairs = SimulationData.Pairs(400, 3);
        var result = new SimulationRunner(new HashEmbedder(), new DomainBlindTrainer()).Run(pairs, null, Options() with
        {
            Seeds = [1, 2], Composition = BatchComposition.Prompts, TuneEmbeddingScales = [], TuneEpochs = [],
        });
        foreach (var seed in new[] { "seed 1", "seed 2" })
            Assert.Contains("incumbent: the per-domain table chat=good, math=math (", result.OfflineRouterInfo[seed]);
        double offline = result.Method("offline-only").Accuracy.Mean, good = result.Method("single:good").Accuracy.Mean;
        Assert.InRange(offline - good, 0.05, 0.15);
        // the online stage starts from the table (anchored: with truth feedback and one epoch it stays there or above)
        Assert.True(result.Method(SimulationReport.Main).Accuracy.Mean >= offline - 0.01);
        // --no-shrink: the router as trained (here: good everywhere)
        var kept = new SimulationRunner(new HashEmbedder(), new DomainBlindTrainer()).Run(pairs, null, Options() with
        {
            Seeds = [1], Composition = BatchComposition.Prompts, TuneEmbeddingScales = [], TuneEpochs = [],
            Offline = new OfflineTrainingOptions { Dimension = 4, ShrinkToBestSingle = false },
        });
        Assert.Contains("incumbent: the router (", kept.OfflineRouterInfo["seed 1"]);
        Assert.Equal(kept.Method("single:good").AccuracyPerSeed, kept.Method("offline-only").AccuracyPerSeed);
    }

    [Fact]
    public void OfflinePartAndStreamNeverSplitAGroupAndCoverEveryPair()
    {
        var pairs = SimulationData.Pairs(60, 7);
        var trainer = new BiasOnlyTrainer();
        var seen = new List<(int Seed, HashSet<string> Stream)>();
        var runner = new SimulationRunner(new HashEmbedder(), trainer, null, ctx =>
        {
            var rec = new RecordingMethod("rec");
            lock (seen) seen.Add((ctx.Seed, rec.Ids));
            return [rec];
        });
        runner.Run(pairs, null, Options());

        // per seed: 6 candidates (3 embedding scales x 2 epoch counts) on the offline part less its validation part,
        // then the chosen one retrained on the whole offline part
        Assert.Equal(3 * 7, trainer.TrainedOn.Count);
        var finals = trainer.TrainedOn.Chunk(7).Select(c => c[^1]).ToList();
        foreach (var chunk in trainer.TrainedOn.Chunk(7))
        {
            var all = chunk[^1].Select(p => p.Id).ToHashSet();
            Assert.All(chunk[..^1], c => Assert.True(c.Count < all.Count && c.All(p => all.Contains(p.Id)), "a candidate trained outside the offline part"));
        }
        foreach (var (offline, (seed, stream)) in finals.Zip(seen.OrderBy(s => s.Seed)))
        {
            var offlineGroups = offline.Select(p => p.Group).ToHashSet();
            var streamGroups = pairs.Where(p => stream.Contains(p.Id)).Select(p => p.Group).ToHashSet();
            Assert.Empty(offlineGroups.Intersect(streamGroups));
            Assert.Equal(pairs.Count, offline.Count + stream.Count);
            Assert.All(pairs.Where(p => stream.Contains(p.Id)), p => Assert.DoesNotContain(p.Id, offline.Select(o => o.Id)));
        }
    }

    [Fact]
    public void EveryMethodSeesTheSameBatchesInTheSameOrder()
    {
        var pairs = SimulationData.Pairs(40, 3);
        var recorders = new List<RecordingMethod>();
        var runner = new SimulationRunner(new HashEmbedder(), new BiasOnlyTrainer(), null, ctx =>
        {
            var list = new[] { new RecordingMethod("r1"), new RecordingMethod("r2"), new RecordingMethod("r3") };
            lock (recorders) recorders.AddRange(list);
            return list;
        });
        runner.Run(pairs, null, Options() with { Seeds = [5] });
        Assert.Equal(3, recorders.Count);
        Assert.Equal(recorders[0].Batches, recorders[1].Batches);
        Assert.Equal(recorders[0].Batches, recorders[2].Batches);
        Assert.True(recorders[0].Batches.Count > 1);
        Assert.All(recorders[0].Batches.SkipLast(1), b => Assert.Equal(16, b.Split(',').Length));
    }

    [Fact]
    public void OracleIsAtLeastEveryMethodAndSingleRmAccuracyMatchesDirectCount()
    {
        var pairs = SimulationData.Pairs(60, 11);
        var ids = new Dictionary<int, HashSet<string>>();
        var result = new SimulationRunner(new HashEmbedder(), new BiasOnlyTrainer(), null, ctx =>
        {
            var rec = new RecordingMethod("rec");
            lock (ids) ids[ctx.Seed] = rec.Ids;
            return [.. SimulationMethods.Create(ctx), rec];
        }).Run(pairs, null, Options());

        var oracle = result.Method("oracle");
        foreach (var m in result.Methods)
            for (int s = 0; s < result.Seeds.Count; s++)
                Assert.True(oracle.AccuracyPerSeed[s] >= m.AccuracyPerSeed[s] - 1e-12, $"{m.Name} beats the oracle in seed {result.Seeds[s]}");

        foreach (var rm in Pool)
        {
            var single = result.Method($"single:{rm}");
            for (int s = 0; s < result.Seeds.Count; s++)
            {
                var stream = pairs.Where(p => ids[result.Seeds[s]].Contains(p.Id)).ToList();
                double direct = stream.Count(p => p.IsRight(rm)) / (double)stream.Count;
                Assert.Equal(direct, single.AccuracyPerSeed[s], 12);
            }
            Assert.Equal(1.0, single.RmCallsPerPair);
            Assert.Equal(1.0, single.Share[rm]);
        }
        Assert.Equal(0.0, result.Method("single:never").Accuracy.Mean);
    }

    [Fact]
    public void SameSeedsGiveIdenticalResults()
    {
        var pairs = SimulationData.Pairs(50, 5);
        var a = SimulationJson.Serialize(Run(pairs, Options()));
        var b = SimulationJson.Serialize(Run(pairs, Options()));
        Assert.Equal(a, b);
        var c = SimulationJson.Serialize(Run(pairs, Options() with { Seeds = [7, 8, 9] }));
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void DomainSplitPutsWholeDomainsOnOneSide()
    {
        var pairs = SimulationData.Pairs(40, 9);
        var trainer = new BiasOnlyTrainer();
        Run(pairs, Options(SplitKind.Domain), trainer);
        foreach (var offline in trainer.TrainedOn)
        {
            var domains = offline.Select(p => p.Domain).Distinct().ToList();
            Assert.Single(domains);
            Assert.True(pairs.Count(p => p.Domain == domains[0]) >= offline.Count);
        }
        Assert.Contains(trainer.TrainedOn, t => pairs.Count(p => p.Domain == t[0].Domain) == t.Count);
    }

    [Fact]
    public void SeparateOfflinePairsTrainTheRouterAndTheWholeFileIsStreamed()
    {
        var online = SimulationData.Pairs(20, 1);
        var offline = SimulationData.Pairs(30, 2).Select(p => p with { Id = "off-" + p.Id, Group = "off-" + p.Group }).ToList();
        var trainer = new BiasOnlyTrainer();
        var result = new SimulationRunner(new HashEmbedder(), trainer).Run(online, offline, Options());
        Assert.All(trainer.TrainedOn, t => Assert.All(t, p => Assert.StartsWith("off-", p.Id)));
        Assert.Equal(3, trainer.TrainedOn.Count(t => t.Count == offline.Count));
        Assert.All(result.PairsOnlinePerSeed, n => Assert.Equal(online.Count, n));
        Assert.Equal("offline-pairs", result.Split);
    }

    [Fact]
    public void UnknownPoolRmIsAClearError()
    {
        var pairs = SimulationData.Pairs(10, 1);
        var e = Assert.Throws<ArgumentException>(() => Run(pairs, Options() with { Pool = ["good", "missing"] }));
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void PaperBatchesHoldPPromptsOfAtMostKPairsAndRevisitPrompts()
    {
        var pairs = SimulationData.Pairs(30, 4).SelectMany(p => new[] { p, p with { Id = p.Id + "x" }, p with { Id = p.Id + "y" } }).ToList();
        var options = Options() with { Composition = BatchComposition.Prompts, PromptsPerBatch = 4, PairsPerPrompt = 2 };
        var (order, bounds) = SimulationRunner.StreamBatches(pairs, options, 3);
        Assert.Equal(Enumerable.Range(0, pairs.Count), order.Order());
        var firstBatchOf = new Dictionary<string, int>();
        for (int b = 0; b + 1 < bounds.Count; b++)
        {
            var batch = order[bounds[b]..bounds[b + 1]].Select(i => pairs[i]).ToList();
            var groups = batch.GroupBy(p => p.Group).ToList();
            Assert.InRange(groups.Count, 1, 4);
            Assert.All(groups, g => Assert.InRange(g.Count(), 1, 2));
            // a prompt's chunk is contiguous in the batch (its pairs are routed together)
            Assert.All(groups, g => Assert.Equal(g.Count(), batch.FindLastIndex(p => p.Group == g.Key) - batch.FindIndex(p => p.Group == g.Key) + 1));
            foreach (var g in groups) firstBatchOf.TryAdd(g.Key, b);
        }
        // 9 pairs per prompt in chunks of 2: every prompt comes back in 5 rounds
        Assert.All(pairs.GroupBy(p => p.Group), g => Assert.Equal(5, Enumerable.Range(0, bounds.Count - 1)
            .Count(b => order[bounds[b]..bounds[b + 1]].Any(i => pairs[i].Group == g.Key))));
        var again = SimulationRunner.StreamBatches(pairs, options, 3);
        Assert.Equal(order, again.Order);
    }

    [Fact]
    public void The_defaults_are_the_realistic_protocol()
    {
        var o = new SimulationOptions { Pool = Pool };
        Assert.Equal(BatchComposition.Prompts, o.Composition);
        Assert.Equal(SimulationOptions.AllPairs, o.PairsPerPrompt);
        Assert.Equal(16, o.PromptsPerBatch);
        Assert.Equal(1, o.EpochsOnline);
        Assert.Equal(new FeedbackModel.Dpo(2), o.Feedback);
        Assert.Equal(Enumerable.Range(1, 10), o.Seeds);
        Assert.False(o.ChooseOnlineModel);                       // the online model is fixed beforehand
        Assert.Equal(0.95, o.Online.IncumbentConfidence);        // anchored on the offline router's pick
        Assert.True(o.Offline.ShrinkToBestSingle);
        Assert.Contains("epochs-online", Assert.Throws<ArgumentException>(() => (o with { EpochsOnline = 0 }).Validate()).Message);
        Assert.Contains("pairs-per-prompt", Assert.Throws<ArgumentException>(() => (o with { PairsPerPrompt = -1 }).Validate()).Message);
    }

    [Fact]
    public void Each_epoch_routes_every_prompt_once_with_all_its_pairs_in_one_batch()
    {
        // groups of 9 pairs: with all of a prompt's pairs in its batch, a prompt is in exactly one batch per epoch
        var pairs = SimulationData.Pairs(40, 4).SelectMany(p => new[] { p, p with { Id = p.Id + "x" }, p with { Id = p.Id + "y" } }).ToList();
        var options = new SimulationOptions { Pool = Pool, PromptsPerBatch = 6, EpochsOnline = 3 };
        var (order, bounds) = SimulationRunner.StreamBatches(pairs, options, 2);
        Assert.Equal(3 * pairs.Count, order.Length);
        var batches = Enumerable.Range(0, bounds.Count - 1).Select(b => order[bounds[b]..bounds[b + 1]].Select(i => pairs[i]).ToList()).ToList();
        Assert.All(batches, b => Assert.InRange(b.Select(p => p.Group).Distinct().Count(), 1, 6));
        Assert.All(batches, b => Assert.All(b.GroupBy(p => p.Group), g => Assert.Equal(9, g.Count())));   // every pair of the prompt
        // epoch e is the e-th third of the stream, holds every pair once, and no batch crosses from one epoch to the next
        Assert.All(new[] { 0, 1, 2 }, e => Assert.Equal(Enumerable.Range(0, pairs.Count), order[(e * pairs.Count)..((e + 1) * pairs.Count)].Order()));
        Assert.All(new[] { 1, 2 }, e => Assert.Contains(e * pairs.Count, bounds));
        // each epoch visits the prompts in a fresh order
        var first = order[..pairs.Count].Select(i => pairs[i].Group).Distinct().ToList();
        var second = order[pairs.Count..(2 * pairs.Count)].Select(i => pairs[i].Group).Distinct().ToList();
        Assert.Equal(first.Order(), second.Order());
        Assert.NotEqual(first, second);
        // one epoch: the same first epoch (adding epochs never changes the first)
        var (one, _) = SimulationRunner.StreamBatches(pairs, options with { EpochsOnline = 1 }, 2);
        Assert.Equal(order[..pairs.Count], one);
    }

    [Fact]
    public void Every_method_carries_its_paired_differences_to_the_references()
    {
        var result = Run(SimulationData.Pairs(60, 5), Options() with { Seeds = [1, 2, 3, 4] });
        var main = result.Method(SimulationReport.Main);
        Assert.Equal(PairedDifference.References, main.Differences.Select(d => d.Reference));
        var best = result.BestSingle;
        foreach (var d in main.Differences)
        {
            var reference = result.Method(d.ReferenceMethod);
            if (d.Reference == PairedDifference.BestSingle) Assert.Equal(best.Name, d.ReferenceMethod);
            else Assert.Equal(d.Reference, d.ReferenceMethod);
            var perSeed = main.AccuracyPerSeed.Zip(reference.AccuracyPerSeed, (a, b) => a - b).ToArray();
            Assert.Equal(perSeed.Average(), d.Difference.Mean, 12);
            Assert.Equal(Summary.Of(perSeed), d.Difference);
            Assert.Equal(perSeed.Count(x => x > 0), d.SeedsHigher);
            Assert.True(d.Difference.HasInterval);
        }
        var self = result.Method("offline-only").DifferenceTo("offline-only")!;
        Assert.Equal((0.0, 0.0, 0), (self.Difference.Mean, self.Difference.Std, self.SeedsHigher));
        var json = System.Text.Json.Nodes.JsonNode.Parse(SimulationJson.Serialize(result))!;
        var mainJson = json["methods"]!.AsArray().Single(m => (string)m!["name"]! == SimulationReport.Main)!;
        var toOffline = mainJson["paired_differences"]!["offline-only"]!;
        Assert.Equal(Math.Round(main.DifferenceTo("offline-only")!.Difference.Mean, 6), (double)toOffline["mean"]!);
        Assert.Equal(2, toOffline["ci95"]!.AsArray().Count);
        Assert.Equal(best.Name, (string)mainJson["paired_differences"]!["best-single"]!["method"]!);
        Assert.Contains("| offline-only | offline-only |", SimulationReport.DifferenceTable(result));
    }

    [Fact]
    public void With_one_seed_no_interval_is_printed_or_claimed()
    {
        var result = Run(SimulationData.Pairs(40, 6), Options() with { Seeds = [7] });
        var main = result.Method(SimulationReport.Main);
        Assert.False(main.Accuracy.HasInterval);
        Assert.True(double.IsNaN(main.Accuracy.CiLow));
        Assert.All(main.Differences, d => Assert.False(d.Difference.HasInterval));
        var json = System.Text.Json.Nodes.JsonNode.Parse(SimulationJson.Serialize(result))!;
        var m = json["methods"]!.AsArray().Single(x => (string)x!["name"]! == SimulationReport.Main)!;
        Assert.Null(m["accuracy_ci95"]);
        Assert.Null(m["paired_differences"]!["offline-only"]!["ci95"]);
        var report = SimulationReport.Markdown(result);
        Assert.DoesNotContain("interval [", report);
        Assert.DoesNotContain("overlap", report);
        Assert.Contains("One seed: no interval", report);
        Assert.All(SimulationReport.Verdicts(result), v => Assert.DoesNotContain("interval", v));
        Assert.Contains(SimulationReport.Verdicts(result), v => v.Contains("in its one seed", StringComparison.Ordinal));
        // the table prints "-" where the interval would be
        var row = SimulationReport.Table(result).Split('\n').Single(l => l.StartsWith("| **bayesian-router** |", StringComparison.Ordinal));
        Assert.Equal("-", row.Split('|')[4].Trim());
    }

    [Fact]
    public void AVerdictSaysBeatsOnlyWhereThePairedIntervalIsAboveZero()
    {
        var result = Run(SimulationData.Pairs(40, 6), Options() with { Seeds = [1, 2, 3, 4] });
        var verdicts = SimulationReport.Verdicts(result).Where(v => v.Contains("paired 95% interval", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(verdicts);
        foreach (var v in verdicts)
        {
            if (v.StartsWith("beats ", StringComparison.Ordinal)) Assert.Contains("(above zero)", v);
            if (v.StartsWith("does NOT beat ", StringComparison.Ordinal)) Assert.Contains("(below zero)", v);
            if (v.Contains("(includes zero)", StringComparison.Ordinal)) Assert.True(v.StartsWith("is level with", StringComparison.Ordinal) || v.StartsWith("ties with", StringComparison.Ordinal), v);
        }
        // the toy pool has an RM far below the router (it beats it) and, with four seeds, differences inside the noise
        Assert.Contains(verdicts, v => v.StartsWith("beats ", StringComparison.Ordinal));
    }

    [Fact]
    public void Truth_feedback_is_labelled_an_oracle_upper_bound()
    {
        var truth = Run(SimulationData.Pairs(30, 6), Options() with { Seeds = [1, 2] });
        Assert.Contains("oracle feedback: an upper bound", SimulationReport.Markdown(truth));
        Assert.True((bool)System.Text.Json.Nodes.JsonNode.Parse(SimulationJson.Serialize(truth))!["feedback_is_oracle"]!);
        var dpo = Run(SimulationData.Pairs(30, 6), Options() with { Seeds = [1, 2], Feedback = new FeedbackModel.Dpo(2) });
        Assert.DoesNotContain("upper bound", SimulationReport.Markdown(dpo));
        Assert.False((bool)System.Text.Json.Nodes.JsonNode.Parse(SimulationJson.Serialize(dpo))!["feedback_is_oracle"]!);
    }

    [Fact]
    public void AuditChecksTheSamePairsForEveryMethod()
    {
        var pairs = SimulationData.Pairs(60, 2);
        var audited = pairs.Where(p => FeedbackModel.Audited(p, 4, 0.3)).Select(p => p.Id).ToHashSet();
        Assert.InRange(audited.Count, 30, 80);   // about 54 of 180
        var f = new FeedbackModel.Audit(0.3);
        foreach (var seedRng in new[] { new Random(1), new Random(2) })    // two methods' generators
            Assert.All(pairs, p => Assert.Equal(audited.Contains(p.Id), f.Reward(p, Pool, 0, seedRng, 4, out _) != null));
        Assert.NotEqual(audited, pairs.Where(p => FeedbackModel.Audited(p, 5, 0.3)).Select(p => p.Id).ToHashSet());
    }

    [Fact]
    public void AgreementWithMoreRmsThanThePoolHasIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => (Options() with { Feedback = new FeedbackModel.Agreement(4) }).Validate());
        Assert.Contains("only 3 other RMs", e.Message);
        (Options() with { Feedback = new FeedbackModel.Agreement(3) }).Validate();
    }

    [Fact]
    public void PairsWithoutGroundTruthOrNoPairsAtAllSayWhatIsMissing()
    {
        var noTruth = SimulationData.Pairs(4, 1).Select(p => p with { Preferred = null }).ToList();
        var e = Assert.Throws<ArgumentException>(() => Run(noTruth, Options()));
        Assert.Contains("ground truth", e.Message);
        Assert.DoesNotContain("no judgment", e.Message);
        var empty = Assert.Throws<ArgumentException>(() => Run([], Options()));
        Assert.Contains("no pair", empty.Message);
    }

    [Fact]
    public void BayesianRouterLearnsAPromptItsPriorGetsWrong()
    {
        // Per prompt, "good" is right on every pair (3 prompts in 4) or on none; "alt" is right exactly where "good" is
        // wrong. The offline router can only prefer "good" (75%); the prompt level learns from a prompt's earlier
        // pairs that "good" fails there and switches to "alt".
        var rng = new Random(3);
        var pairs = SimulationData.Pairs(200, 8).GroupBy(p => p.Group).SelectMany(g =>
        {
            bool goodHere = rng.Next(4) != 0;
            return g.SelectMany(p => Enumerable.Range(0, 3).Select(k =>
            {
                Judgment Says(bool right) => right == (p.Preferred == Preference.A) ? Judgment.FromScores(1, 0) : Judgment.FromScores(0, 1);
                return p with
                {
                    Id = $"{p.Id}-{k}",
                    Judgments = new Dictionary<string, Judgment> { ["good"] = Says(goodHere), ["alt"] = Says(!goodHere), ["coin"] = Says(rng.Next(2) == 0) },
                };
            }));
        }).ToList();
        var result = Run(pairs, Options() with { Pool = ["good", "alt", "coin"], Seeds = [1, 2], ChooseOnlineModel = true });
        double main = result.Method(SimulationReport.Main).Accuracy.Mean, offline = result.Method("offline-only").Accuracy.Mean;
        Assert.True(main > offline + 0.05, $"bayesian-router {main:F3}, offline-only {offline:F3}");
        Assert.True(result.Method(SimulationReport.Main + ":no-prompt").Accuracy.Mean < main - 0.05);
        Assert.Contains(result.Methods, m => m.Name == SimulationReport.Main + ":paper");

        // the online model of each seed was chosen on the validation replay: the most accurate there, simplest on a tie
        foreach (var info in result.OfflineRouterInfo.Values)
        {
            var m = System.Text.RegularExpressions.Regex.Match(info, @"online model: (.+?) \(validation replay: (.+)\)");
            Assert.True(m.Success, info);
            var scores = m.Groups[2].Value.Split(", ").Select(x => (Name: x[..x.LastIndexOf(' ')], Acc: double.Parse(x[(x.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(new[] { "paper", "hierarchical without prompt level", "hierarchical" }, scores.Select(x => x.Name));
            var chosen = scores.First(x => x.Acc == scores.Max(y => y.Acc));
            Assert.Equal(chosen.Name, m.Groups[1].Value);
            Assert.Equal("hierarchical", chosen.Name);
        }
        var fixedPaper = Run(pairs, Options() with
        {
            Pool = ["good", "alt", "coin"], Seeds = [1, 2], ChooseOnlineModel = false, Online = new() { Model = BayesianRouter.Routing.OnlineModel.Paper },
        });
        Assert.StartsWith("paper, anchored on the offline router's pick", fixedPaper.OnlineModel);
        Assert.All(fixedPaper.OfflineRouterInfo.Values, v => Assert.EndsWith("online model: fixed", v));
        // the paper's model does not learn per prompt: here it stays well below the hierarchical model
        Assert.True(fixedPaper.Method(SimulationReport.Main).Accuracy.Mean < main - 0.05);
    }

    /// <summary>Records the ids of every batch it is shown; labels with arm 0.</summary>
    private sealed class RecordingMethod(string name) : AnnotationMethod(name, MethodKind.Router)
    {
        public HashSet<string> Ids { get; } = [];
        public List<string> Batches { get; } = [];

        public override void Annotate(SimulationBatch batch, Span<PairOutcome> outcomes)
        {
            Batches.Add(string.Join(",", batch.Pairs.Select(p => p.Id)));
            foreach (var p in batch.Pairs) Ids.Add(p.Id);
            for (int i = 0; i < outcomes.Length; i++) outcomes[i] = new PairOutcome(batch.Pairs[i].IsRight("good"), 0, 1, 1, 1);
        }
    }
}
