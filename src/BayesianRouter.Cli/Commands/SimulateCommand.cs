using System.CommandLine;
using BayesianRouter.Cli.Reports;
using BayesianRouter.Encoding;
using BayesianRouter.IO;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;
using BayesianRouter.Training;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter simulate</c>: the controlled simulation, the project's main job (README, first command).</summary>
public static class SimulateCommand
{
    public static Command Create(CliIO io)
    {
        var shared = new OfflineCliOptions();
        var pairs = new Option<string>("--pairs") { Description = "Pair file (JSON Lines) to replay, with ground truth and the pool RMs' judgments; or a RewardMATH folder (e.g. ../shared/datasets/rewardmath), imported on the fly with the default scorers.", Required = true };
        var pool = new Option<string>("--pool") { Description = "Comma-separated RM names of the pool, in arm order (e.g. ArmoRM,skywork_llama3,internlm2_20b,grm_gemma).", Required = true };
        var offlinePairs = new Option<string?>("--offline-pairs") { Description = "Train the offline router on this pair file (or RewardMATH folder) instead of a split of --pairs: a cross-benchmark, out-of-distribution run; all of --pairs is then the online stream." };
        var fraction = new Option<double>("--offline-fraction") { Description = "Share of the groups (pairs sharing a prompt) of --pairs used offline; the rest is the online stream.", DefaultValueFactory = _ => 0.5 };
        var split = OfflineCliOptions.SplitOption("random: groups are split at random; domain: a seeded random half of the domains goes offline and the other domains online (pairs without a domain split at random by group), so the stream is out of the offline router's distribution.");
        var batch = new Option<int>("--batch-size") { Description = "Pairs per online batch with --batch-composition shuffled; the online routers learn after each batch (paper: 64).", DefaultValueFactory = _ => 64 };
        var composition = new Option<string>("--batch-composition") { Description = "prompts (default, the paper's): batches of --prompts-per-batch prompts x --pairs-per-prompt pairs of each, a prompt's pairs routed together (with all, the default, each prompt comes once per epoch); shuffled: the stream's pairs shuffled, cut into batches of --batch-size (a prompt's pairs scattered over many batches, so a router can remember a prompt within an epoch).", DefaultValueFactory = _ => "prompts" };
        composition.AcceptOnlyFromAmong("shuffled", "prompts");
        var promptsPerBatch = new Option<int>("--prompts-per-batch") { Description = "P, prompts per batch with --batch-composition prompts (paper: 16).", DefaultValueFactory = _ => 16 };
        var pairsPerPrompt = new Option<string>("--pairs-per-prompt") { Description = "K, pairs of each prompt per batch with --batch-composition prompts: a whole number, or all (default): every pair of a prompt in one batch (the paper samples 4 per prompt; a prompt with more than K pairs comes back in later rounds of the epoch).", DefaultValueFactory = _ => "all" };
        var epochsOnline = new Option<int>("--epochs-online") { Description = "Passes over the online stream, like online DPO's epochs: each visits every prompt once more, in a fresh order; epoch 2 and later may remember what epoch 1 said about a prompt.", DefaultValueFactory = _ => 1 };
        var baselineFeatures = new Option<string>("--baseline-features") { Description = "What ts-no-offline and laser read: shared = the offline router's h, like every other router (the paper's protocol); projection = a seeded random projection of the frozen encoder's vectors without the domain (before issue 10).", DefaultValueFactory = _ => "shared" };
        baselineFeatures.AcceptOnlyFromAmong("shared", "projection");
        var onlineModel = new Option<string>("--online-model") { Description = "The bayesian-router's online model: hierarchical = calibrated offline prediction + global, domain and prompt random effects (Thompson sampling on the shared levels; docs/online-model.md); paper = linear Thompson sampling on h with prior mean E_bt, sigma_w^2 = 0.02 (always also reported as bayesian-router:paper); auto = per seed, whichever of hierarchical, hierarchical without prompt level and paper labels the validation part of the offline side best when it is replayed with this run's feedback (the part the calibration is fitted on). Default: hierarchical.", DefaultValueFactory = _ => "hierarchical" };
        var confidence = new Option<double>("--incumbent-confidence") { Description = "Do no harm: the posterior probability another RM must have of beating the offline router's pick on a pair before the bayesian-router may choose it (docs/online-model.md); 0 = plain Thompson sampling over every RM (also reported as bayesian-router:unanchored).", DefaultValueFactory = _ => AnchoredThompsonRouter.DefaultConfidence };
        onlineModel.AcceptOnlyFromAmong("auto", "hierarchical", "paper");
        var exploration = new Option<string>("--exploration") { Description = "Scale of the hierarchical model's Thompson draw at the global, domain and prompt levels (1 = an exact posterior draw, 0 = the posterior mean).", DefaultValueFactory = _ => "1,1,0" };
        var noPrompt = new Option<bool>("--no-prompt-level") { Description = "The hierarchical model learns nothing per prompt (for streams that never revisit a prompt)." };
        var seeds = new Option<int>("--seeds") { Description = "Number of replays; seed k splits, trains, shuffles and draws anew. Seeds are first-seed, first-seed+1, ... Paired differences and their 95% intervals need at least 2 (10 by default).", DefaultValueFactory = _ => 10 };
        var firstSeed = new Option<int>("--first-seed") { Description = "The first seed (a whole number >= 0).", DefaultValueFactory = _ => 1 };
        var feedback = new Option<string>("--feedback") { Description = "What online routers learn from after each batch: truth (reward 1 when the chosen RM is right, else 0); audit:P (truth for a seeded random share P of the routed pairs, no update from the others); agreement:C (1 when the chosen RM agrees with the majority of C other pool RMs sampled for the pair, 0.5 on a tie; their calls count as RM calls); rank:P (the reward endpoints' audit: a seeded share P of the groups also judged by a second RM drawn per group, each audited pair's reward its concordance with it, 1/0/0.5 on a tie; no ground truth); dpo:NOISE (default dpo:2: simulated DPO losses, lower when the chosen RM's label is right, with a margin noise of NOISE, shaped per batch like a live trainer's: batch-centred, 20/80-quantile rescaled; docs/online-model.md). truth is an oracle-feedback upper bound: no trainer knows which label is right.", DefaultValueFactory = _ => "dpo:2" };
        var liveSession = new Option<bool>("--live-session") { Description = "Also replay the stream through the live routing session (what serve and label run) with each online model: methods live:hierarchical and live:paper." };
        var costs = new Option<string?>("--costs") { Description = "Cost units of one call per RM, e.g. ArmoRM=1,internlm2_20b=4 (default 1 each): gives cost per pair." };
        var budget = new Option<string?>("--budget") { Description = "Comma-separated budgets B (mean cost per pair, in the units of --costs), e.g. 2,5,10,30: at each, the cost-aware router (bayesian-router-budget: Thompson draws minus an online price x cost, never above B t after t pairs, anchored on the best RM that fits B: another RM only where it is credibly more accurate), the RouteLLM-style threshold router, the budget-matched random-mix and every single RM whose cost fits are reported, with an accuracy-cost frontier plot (docs/cost-aware-routing.md). A budget below the cheapest RM's cost is refused." };
        var budgetSteps = new Option<string>("--budget-steps") { Description = "Candidate steps of the cost-aware router's price (relative: eta = step x score range / highest cost), chosen per seed and budget by replaying the validation part of the offline side; 0 keeps the offline price.", DefaultValueFactory = _ => "0,0.003,0.01,0.03,0.1" };
        var outDir = new Option<string>("--out") { Description = "Folder for results.json, report.md and the PNG plots (created if missing; files are replaced atomically).", Required = true };
        var json = new Option<bool>("--json") { Description = "Also print the whole results.json as one JSON object on the last line." };

        var cmd = new Command("simulate",
            "Controlled simulation (paper section 4.3): replay pairs whose ground truth is known; every method picks RMs on " +
            "the same online stream: single:<rm>, random, majority, uwo, laser, ts-no-offline, offline-only, bayesian-router, " +
            "weighted-score:<alpha>, oracle. Per seed the groups are split into an offline part (trains the offline router) " +
            "and an online stream cut into batches. Reports annotation accuracy (mean, std, 95% interval over seeds), RM calls " +
            "and cost per pair, routing shares, accuracy along the stream and per domain, in DIR/results.json, DIR/report.md and PNG plots.");
        foreach (var o in new Option[] { pairs, pool, offlinePairs, fraction, split, batch, composition, promptsPerBatch, pairsPerPrompt, epochsOnline, seeds, firstSeed,
                     feedback, liveSession, costs, budget, budgetSteps, baselineFeatures, onlineModel, confidence, exploration, noPrompt, outDir, json })
            cmd.Options.Add(o);
        shared.AddTraining(cmd);
        shared.AddTuning(cmd);
        shared.AddEncoder(cmd, withMaxTokens: true);
        cmd.SetAction(parse =>
        {
            int nSeeds = parse.GetValue(seeds);
            if (nSeeds < 1) throw new CliUsageException($"--seeds {nSeeds}: need at least 1");
            int first = OfflineCliOptions.NonNegativeSeed(parse, firstSeed);
            var dir = parse.GetValue(outDir)!;
            OutputPath.CheckFolder(dir, "--out");
            var scales = OfflineCliOptions.NumberList(parse.GetValue(exploration)!, "--exploration", double.Parse);
            if (scales.Count != 3 || scales.Any(x => !(x >= 0) || !double.IsFinite(x)))
                throw new CliUsageException($"--exploration {parse.GetValue(exploration)}: expected three numbers >= 0 (global, domain, prompt), e.g. 1,1,0");
            var options = new SimulationOptions
            {
                Pool = CliParsing.List(parse.GetValue(pool)!, "--pool"),
                OfflineFraction = parse.GetValue(fraction),
                Split = OfflineCliOptions.ParseSplit(parse.GetValue(split)),
                BatchSize = parse.GetValue(batch),
                Composition = parse.GetValue(composition) == "prompts" ? BatchComposition.Prompts : BatchComposition.Shuffled,
                PromptsPerBatch = parse.GetValue(promptsPerBatch),
                PairsPerPrompt = ParsePairsPerPrompt(parse.GetValue(pairsPerPrompt)!),
                EpochsOnline = parse.GetValue(epochsOnline),
                BaselineFeatures = parse.GetValue(baselineFeatures) == "projection" ? BaselineFeatures.RandomProjection : BaselineFeatures.Shared,
                ChooseOnlineModel = parse.GetValue(onlineModel) == "auto",
                LiveSession = parse.GetValue(liveSession),
                Online = new BayesianRouterOptions
                {
                    Model = parse.GetValue(onlineModel) == "paper" ? OnlineModel.Paper : OnlineModel.Hierarchical,
                    UsePrompt = !parse.GetValue(noPrompt),
                    GlobalExploration = scales[0], DomainExploration = scales[1], PromptExploration = scales[2],
                    IncumbentConfidence = ReadConfidence(parse.GetValue(confidence)),
                },
                TuneEmbeddingScales = OfflineCliOptions.NumberList(parse.GetValue(shared.TuneEmbeddingScales)!, "--tune-embedding-scales", double.Parse),
                TuneEpochs = OfflineCliOptions.NumberList(parse.GetValue(shared.TuneEpochs)!, "--tune-epochs", int.Parse),
                TuneShare = shared.ReadTuneShare(parse),
                Seeds = Enumerable.Range(first, nSeeds).ToArray(),
                Feedback = FeedbackModel.Parse(parse.GetValue(feedback)!),
                Costs = CliParsing.Costs(parse.GetValue(costs)),
                Budgets = parse.GetValue(budget) is { } bs ? OfflineCliOptions.NumberList(bs, "--budget", double.Parse) : [],
                BudgetSteps = OfflineCliOptions.NumberList(parse.GetValue(budgetSteps)!, "--budget-steps", double.Parse),
                Offline = shared.Training(parse, seed: first),
            };
            options.Validate();
            var online = PairSources.Load(parse.GetValue(pairs)!, io.Err);
            var offline = parse.GetValue(offlinePairs) is { } op ? PairSources.Load(op, io.Err) : null;

            using var embedder = CachedPairEmbedder.CreateMiniLm(
                new EncoderOptions { MaxTokens = parse.GetValue(shared.MaxTokens) }, parse.GetValue(shared.EncoderCache)?.FullName);
            var log = new SyncProgress<string>(m => io.Err.WriteLine($"[simulate] {m}"));
            io.Err.WriteLine($"[simulate] per seed: nested choice among {NestedSelection.Grid(options.Offline, options.TuneEmbeddingScales, options.TuneEpochs).Count} offline router option sets, " +
                             $"retraining, then batches of {SimulationAggregator.Describe(options)}; feedback {options.Feedback}{(options.Feedback is FeedbackModel.Truth ? " (oracle-feedback upper bound)" : "")}; one line per seed");
            var started = DateTime.UtcNow;
            var result = new SimulationRunner(embedder, new MultiTaskRouterTrainer(), log).Run(online, offline, options);

            Directory.CreateDirectory(dir);
            var plots = SimulationPlots.WriteAll(result, dir);
            AtomicFile.WriteAllText(Path.Combine(dir, "results.json"), SimulationJson.Serialize(result));
            var note = string.Join("\n", plots.Select(p => $"- ![{Path.GetFileNameWithoutExtension(p)}]({Path.GetFileName(p)})"));
            AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), SimulationReport.Markdown(result, note));

            io.Out.WriteLine(SimulationReport.Table(result));
            foreach (var v in SimulationReport.Verdicts(result)) io.Out.WriteLine("- " + v);
            if (result.Budgets.Count > 0)
            {
                io.Out.WriteLine();
                io.Out.WriteLine(SimulationReport.BudgetTable(result));
                foreach (var v in SimulationReport.BudgetVerdicts(result)) io.Out.WriteLine(v);
            }
            io.Out.WriteLine($"wrote {Path.Combine(dir, "results.json")}, report.md and {plots.Count} plots in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
            if (parse.GetValue(json)) io.Out.WriteLine(SimulationJson.ToJson(result).ToJsonString());
            return 0;
        });
        return cmd;
    }

    /// <summary><c>--incumbent-confidence</c>: 0 (off) or a probability in [0.5, 1).</summary>
    internal static double ReadConfidence(double c) => c == 0 || (c >= 0.5 && c < 1) ? c
        : throw new CliUsageException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--incumbent-confidence {c}: expected 0 (off) or a probability in [0.5, 1), e.g. 0.95"));

    /// <summary><c>--pairs-per-prompt</c>: a whole number >= 1, or <c>all</c>.</summary>
    internal static int ParsePairsPerPrompt(string text)
    {
        if (text == "all") return SimulationOptions.AllPairs;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) && k >= 1) return k;
        throw new CliUsageException($"--pairs-per-prompt {text}: expected a whole number >= 1 or all");
    }
}
