using System.CommandLine;
using System.Globalization;
using BayesianRouter.Alignment.Loop;
using BayesianRouter.Alignment.Model;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Cli.Reports;
using BayesianRouter.Encoding;
using BayesianRouter.IO;
using BayesianRouter.RewardModels;
using BayesianRouter.RewardModels.Serving;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;
using BayesianRouter.Training;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter align</c>: online DPO of a real policy with routed RM labels (the paper's main experiment, issue 9).</summary>
public static class AlignCommand
{
    public static Command Create(CliIO io)
    {
        var d = new AlignOptions();
        var start = new SupervisedStartOptions();
        var task = new Option<string>("--task") { Description = "The task with checkable answers: arithmetic (addition, multiplication, comparison, unit conversion as short questions; shipped as code).", DefaultValueFactory = _ => "arithmetic" };
        task.AcceptOnlyFromAmong("arithmetic");
        var methods = new Option<string?>("--methods") { Description = "Comma-separated methods (default: all): single:<rm> per pool RM, random, majority, uwo, laser, ts-no-offline, offline-only, bayesian-router, oracle; a Thompson-sampling router takes a reward variant, e.g. ts-no-offline:full-advantage, bayesian-router:light-advantage." };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds; seed k trains its own offline router, draws its own prompt stream and sampling, and every method runs on it. Seeds are first-seed, first-seed+1, ...", DefaultValueFactory = _ => d.Seeds.Count };
        var scenario = new Option<string>("--scenario") { Description = "static: the pool's RMs keep their rules; drift: the reader RM also rewards answers that end with a period, a habit the policy can learn from its labels (its accuracy on the policy's pairs then falls).", DefaultValueFactory = _ => TaskScenarios.Name(d.Scenario) };
        scenario.AcceptOnlyFromAmong([.. TaskScenarios.Names]);
        var feedback = new Option<string>("--feedback") { Description = "What the online routers (bayesian-router, ts-no-offline, laser) learn from after each DPO step: loss = the labelled pairs' DPO losses (the paper's); audit:RATE = a seeded share RATE of the pairs is checked against the ground truth, and each router learns whether its RM agreed (the other pairs send nothing).", DefaultValueFactory = _ => d.Feedback.ToString() };
        var firstSeed = new Option<int>("--first-seed") { Description = "The first seed.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "DPO steps per method and seed.", DefaultValueFactory = _ => d.Steps };
        var outDir = new Option<string>("--out") { Description = "Folder for results.json, report.md and the PNG plots (created if missing; files are replaced atomically).", Required = true };
        var prompts = new Option<int>("--prompts-per-step") { Description = "Prompts per DPO step (paper: 16).", DefaultValueFactory = _ => d.PromptsPerStep };
        var samples = new Option<int>("--samples-per-prompt") { Description = "Responses sampled per prompt (paper: 6).", DefaultValueFactory = _ => d.SamplesPerPrompt };
        var pairs = new Option<int>("--pairs-per-prompt") { Description = "Pairs per prompt at most, from responses with different answers (paper: 4).", DefaultValueFactory = _ => d.PairsPerPrompt };
        var beta = new Option<double>("--beta") { Description = "DPO beta.", DefaultValueFactory = _ => d.Beta };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate of the LoRA adapters.", DefaultValueFactory = _ => d.LearningRate };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank r.", DefaultValueFactory = _ => d.Lora.Rank };
        var alpha = new Option<double>("--lora-alpha") { Description = "LoRA alpha (updates scaled by alpha / r).", DefaultValueFactory = _ => d.Lora.Alpha };
        var targets = new Option<string>("--lora-targets") { Description = "Comma-separated projections with adapters: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.", DefaultValueFactory = _ => string.Join(",", d.Lora.TargetModules) };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature of the online responses.", DefaultValueFactory = _ => d.Temperature };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling threshold (1 = off).", DefaultValueFactory = _ => d.TopP };
        var evaluations = new Option<int>("--evaluations") { Description = "How often along a run the policy is scored (for the accuracy-over-steps plot); the last is the final score.", DefaultValueFactory = _ => d.Evaluations };
        var priorOffline = new Option<string>("--prior-variance") { Description = "sigma_w^2 of the paper's online model around the offline prior: a number (paper: 0.02), or calibrated = per seed, the value under which a Thompson draw from the prior picks a right RM with the highest mean log-probability on the held-out part of the offline pairs (docs/alignment.md).", DefaultValueFactory = _ => d.CalibratePriorVariance ? "calibrated" : d.PriorVarianceWithOffline.ToString(CultureInfo.InvariantCulture) };
        var onlineModel = new Option<string>("--online-model") { Description = "The bayesian-router's online model, run as the live routing session (serve, label) runs it: paper = linear Thompson sampling on h with prior mean E_bt; hierarchical = the calibrated offline prediction plus global and prompt corrections learned from the feedback. Default: the live path's default, as the loop feeds DPO losses like a live trainer (docs/online-model.md, docs/alignment.md). The other model runs as bayesian-router:<model> in the default method list.", DefaultValueFactory = _ => d.OnlineModel == OnlineModel.Paper ? "paper" : "hierarchical" };
        onlineModel.AcceptOnlyFromAmong("paper", "hierarchical");
        var baselineFeatures = new Option<string>("--baseline-features") { Description = "What ts-no-offline and laser read: shared = the offline router's h, like every other router (the paper's protocol); projection = a seeded random projection of the frozen encoder's vectors (as simulate --baseline-features projection).", DefaultValueFactory = _ => "shared" };
        baselineFeatures.AcceptOnlyFromAmong("shared", "projection");
        var evalOn = new Option<string>("--eval-on") { Description = "Score policies on the held-out test prompts (test) or on the validation prompts carved out of the training prompts (validation: for choosing hyper-parameters).", DefaultValueFactory = _ => "test" };
        evalOn.AcceptOnlyFromAmong("test", "validation");
        var parallel = new Option<int>("--parallel") { Description = "Runs (of any seed and method) trained side by side, each on one libtorch thread; the results do not depend on it. Default 2: both cores of the reference machine.", DefaultValueFactory = _ => d.Parallelism };
        var sftSteps = new Option<int>("--sft-steps") { Description = "Steps of the supervised start (it is cached; a new value trains and caches a new start).", DefaultValueFactory = _ => start.Steps };
        var policyCache = new Option<string?>("--policy-cache") { Description = "Folder of cached supervised starts (default: $BAYESROUTER_POLICY_CACHE, else ~/.cache/bayesrouter/policies). Each start is a Hugging Face folder keyed by its settings." };
        var encoderCache = new Option<DirectoryInfo?>("--encoder-cache") { Description = "Folder of the persistent embedding cache (default: $BAYESROUTER_CACHE, else ~/.cache/bayesrouter/embeddings)." };
        var offlineDomains = new Option<string?>("--offline-domains") { Description = "Comma-separated domains whose offline prompts train the offline router (default: all four). Leaving one out puts part of the online stream out of the offline router's distribution." };
        var routerScale = new Option<double>("--router-embedding-scale") { Description = "The offline router's --embedding-scale (see `offline train --help`).", DefaultValueFactory = _ => d.Offline.EmbeddingScale };
        var routerEpochs = new Option<int>("--router-epochs") { Description = "The offline router's training epochs.", DefaultValueFactory = _ => d.Offline.Epochs };
        var noShrink = new Option<bool>("--no-shrink") { Description = "Keep the neural offline router whatever its validation part says (by default the offline stage deploys the router only where its validation part certifies it credibly more accurate than the best single RM of the offline side, else that RM: do no harm, docs/online-model.md; what it costs on this task: docs/alignment.md)." };
        var poolFile = new Option<string?>("--pool") { Description = "Call the RMs over HTTP: a pool file (docs/pool-file.md) naming the task's RMs (calculator, parser, reader, magnitude, generalist), each served for instance by `rm-serve --task arithmetic --rm NAME [--scenario drift]`. They are called through the same client a trainer uses (RewardModelFactory). Default: the RMs in-process." };
        var servePool = new Option<bool>("--serve-pool") { Description = "Serve the task's RMs on 127.0.0.1 (free ports, vLLM /classify) for the run and call them over HTTP through the pool client, as --pool would: same results as in-process." };
        var tuneLr = new Option<string?>("--tune-lr") { Description = "The validation protocol: comma-separated learning rates; every method is trained at every (learning rate x beta) point on the validation prompts (needs --eval-on validation) and the point with the highest validation accuracy averaged over all methods is chosen. Writes DIR/tuning.json and DIR/tuning.md instead of a results table." };
        var tuneBeta = new Option<string?>("--tune-beta") { Description = "The validation protocol's betas (comma-separated; default: --beta alone)." };
        var json = new Option<bool>("--json") { Description = "Also print the whole results.json as one JSON object on the last line." };

        var cmd = new Command("align",
            "Online DPO of a real policy with routed RM labels (paper section 4.1, Tables 1 and 7). A small Llama-family policy, " +
            "pre-trained by the project on a noisy mixture of the task (cached), is trained by DPO on its own sampled answers; " +
            "each method labels the pairs its way (single RMs, random, majority, UWO, LASER, Thompson sampling with and " +
            "without the offline prior, the offline router alone, ground truth) from a pool of in-process RMs with " +
            "domain-dependent flaws. The offline router learns from the pool's behaviour on the start policy's pairs of prompts " +
            "disjoint from the test prompts. Writes DIR/results.json (schema bayesrouter.align/1), DIR/report.md and PNG plots.");
        foreach (var o in new Option[] { task, scenario, feedback, methods, seeds, firstSeed, steps, outDir, prompts, samples, pairs, beta, lr, rank, alpha, targets, temperature, topP, evaluations, onlineModel, priorOffline, baselineFeatures, evalOn, parallel, sftSteps, policyCache, encoderCache, offlineDomains, routerScale, routerEpochs, noShrink, poolFile, servePool, tuneLr, tuneBeta, json })
            cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            int nSeeds = parse.GetValue(seeds);
            if (nSeeds < 1) throw new CliUsageException($"--seeds {nSeeds}: need at least 1");
            var scenarioValue = TaskScenarios.Parse(parse.GetValue(scenario)!);
            var pool = TaskRewardModels.Pool(scenarioValue);
            if (parse.GetValue(poolFile) is not null && parse.GetValue(servePool)) throw new CliUsageException("--pool and --serve-pool exclude each other");
            var remoteSpec = parse.GetValue(poolFile) is { } pf ? PoolFile.Load(pf) : null;
            var remoteOrder = remoteSpec?.InRouterOrder(pool.Select(r => r.Name).ToArray(), $"the arithmetic task's pool");
            var options = new AlignOptions
            {
                Scenario = scenarioValue,
                Feedback = FeedbackProtocol.Parse(parse.GetValue(feedback)!),
                Methods = parse.GetValue(methods) is { } m ? CliParsing.List(m, "--methods") : null,
                Seeds = Enumerable.Range(parse.GetValue(firstSeed), nSeeds).ToArray(),
                Steps = parse.GetValue(steps),
                PromptsPerStep = parse.GetValue(prompts),
                SamplesPerPrompt = parse.GetValue(samples),
                PairsPerPrompt = parse.GetValue(pairs),
                Beta = parse.GetValue(beta),
                LearningRate = parse.GetValue(lr),
                Lora = new LoraOptions { Rank = parse.GetValue(rank), Alpha = parse.GetValue(alpha), TargetModules = CliParsing.List(parse.GetValue(targets)!, "--lora-targets") },
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                Evaluations = parse.GetValue(evaluations),
                OnlineModel = parse.GetValue(onlineModel) == "hierarchical" ? OnlineModel.Hierarchical : OnlineModel.Paper,
                CalibratePriorVariance = PriorVariance(parse.GetValue(priorOffline)!) is null,
                PriorVarianceWithOffline = PriorVariance(parse.GetValue(priorOffline)!) ?? d.PriorVarianceWithOffline,
                BaselineFeatures = parse.GetValue(baselineFeatures) == "projection" ? BaselineFeatures.RandomProjection : BaselineFeatures.Shared,
                Parallelism = parse.GetValue(parallel),
                OfflineDomains = parse.GetValue(offlineDomains) is { } od ? CliParsing.List(od, "--offline-domains") : null,
                Offline = d.Offline with { EmbeddingScale = parse.GetValue(routerScale), Epochs = parse.GetValue(routerEpochs), ShrinkToBestSingle = !parse.GetValue(noShrink) },
            };
            options.Validate();
            var names = options.Methods ?? AlignMethods.DefaultNames(pool.Select(r => r.Name).ToArray(), options.OnlineModel);
            AlignMethods.Validate(names, pool.Select(r => r.Name).ToArray());
            var startOptions = start with { Steps = parse.GetValue(sftSteps) };
            startOptions.Validate();
            var grid = Grid(parse.GetValue(tuneLr), parse.GetValue(tuneBeta), options.Beta);
            if (grid is not null && parse.GetValue(evalOn) != "validation")
                throw new CliUsageException("--tune-lr chooses hyper-parameters: it needs --eval-on validation (the test prompts are never tuned on)");
            var dir = parse.GetValue(outDir)!;
            var cacheRoot = parse.GetValue(policyCache) ?? SupervisedStart.DefaultCacheRoot();

            await using var served = parse.GetValue(servePool) ? await ServedPool.StartAsync(pool, ct) : null;
            var specs = served?.Specs ?? remoteOrder;
            using var remote = specs is null ? null : RewardModelFactory.CreatePool(new RmPool(served is null ? remoteSpec!.File : "served pool", specs));
            // one ONNX Runtime thread: the runs themselves go side by side on the cores (--parallel)
            using var embedder = CachedPairEmbedder.CreateMiniLm(new EncoderOptions { Threads = 1 }, parse.GetValue(encoderCache)?.FullName);
            var started = DateTime.UtcNow;
            var observer = new ProgressObserver(io, options.Seeds.Count * names.Count * options.Steps);
            var runner = new AlignRunner(embedder, new MultiTaskRouterTrainer(), observer);
            var labelling = remote?.Cast<RewardModels.IRewardModel>().ToArray();
            if (grid is not null)
            {
                var observerGrid = new ProgressObserver(io, grid.Count * options.Seeds.Count * names.Count * options.Steps);
                var gridRunner = new AlignRunner(embedder, new MultiTaskRouterTrainer(), observerGrid);
                var tuning = await observerGrid.RunManyAsync(() => AlignTuning.RunAsync(o => gridRunner.RunAsync(o, startOptions, cacheRoot, labelling, true, ct), options, grid));
                Directory.CreateDirectory(dir);
                AtomicFile.WriteAllText(Path.Combine(dir, "tuning.json"), tuning.Serialize());
                AtomicFile.WriteAllText(Path.Combine(dir, "tuning.md"), tuning.Markdown());
                io.Out.WriteLine(tuning.Markdown());
                io.Out.WriteLine($"wrote {Path.Combine(dir, "tuning.json")} and tuning.md in {(DateTime.UtcNow - started).TotalSeconds:F0} s (load average {ProcessStats.LoadAverage()})");
                if (parse.GetValue(json)) io.Out.WriteLine(tuning.ToJson().ToJsonString());
                return 0;
            }
            var result = await observer.RunAsync(() => runner.RunAsync(options, startOptions, cacheRoot, labelling, parse.GetValue(evalOn) == "validation", ct));
            result = result with
            {
                Info = new Dictionary<string, string>(result.Info)
                {
                    ["RMs called"] = specs is null ? "in-process" : $"over HTTP through the pool client: {string.Join(", ", specs.Select(x => $"{x.Name} {x.Backend.ToName()} {x.Url}"))}",
                    ["peak RSS (MB)"] = ProcessStats.PeakRssMegabytes().ToString("F0", CultureInfo.InvariantCulture),
                    ["RSS after each run (MB)"] = string.Join(" ", observer.RssAfterRuns.Select(x => x.ToString("F0", CultureInfo.InvariantCulture))),
                    ["load average at the end (1 min)"] = ProcessStats.LoadAverage(),
                },
            };

            Directory.CreateDirectory(dir);
            var plots = AlignPlots.WriteAll(result, dir);
            AtomicFile.WriteAllText(Path.Combine(dir, "results.json"), AlignJson.Serialize(result));
            var note = string.Join("\n", plots.Select(p => $"- ![{Path.GetFileNameWithoutExtension(p)}]({Path.GetFileName(p)})"));
            AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), AlignReport.Markdown(result, note));

            io.Out.WriteLine(AlignReport.Table(result));
            foreach (var v in AlignReport.Verdicts(result)) io.Out.WriteLine("- " + v);
            var rewards = AlignReport.RewardTable(result);
            if (rewards.Length > 0) io.Out.WriteLine("\n" + rewards);
            io.Out.WriteLine($"peak RSS {ProcessStats.PeakRssMegabytes():F0} MB; wrote {Path.Combine(dir, "results.json")}, report.md and {plots.Count} plots in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
            if (parse.GetValue(json)) io.Out.WriteLine(AlignJson.ToJson(result).ToJsonString());
            return 0;
        });
        return cmd;
    }

    /// <summary>The task's RMs served on 127.0.0.1 for one run (--serve-pool): one scalar RM server each, and the pool entries that call them.</summary>
    private sealed class ServedPool : IAsyncDisposable
    {
        private readonly List<ScorerRmServer> _servers = [];

        public List<RmSpec> Specs { get; } = [];

        public static async Task<ServedPool> StartAsync(IReadOnlyList<TaskRewardModel> pool, CancellationToken ct)
        {
            var served = new ServedPool();
            try
            {
                foreach (var rm in pool)
                {
                    var server = await ScorerRmServer.StartAsync(rm, new ScorerRmServerOptions(), ct);
                    served._servers.Add(server);
                    served.Specs.Add(new RmSpec { Name = rm.Name, Backend = RmBackend.VllmClassify, Url = server.Url, MaxConcurrency = 16 });
                }
                return served;
            }
            catch
            {
                await served.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var s in _servers) await s.DisposeAsync();
        }
    }

    /// <summary>The tuning grid of --tune-lr x --tune-beta (null without --tune-lr).</summary>
    private static List<GridPoint>? Grid(string? lrs, string? betas, double beta)
    {
        if (lrs is null)
        {
            if (betas is not null) throw new CliUsageException("--tune-beta needs --tune-lr");
            return null;
        }
        double[] Numbers(string text, string option) => CliParsing.List(text, option).Select(x =>
            double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
                : throw new CliUsageException($"{option} {text}: \"{x}\" is not a number > 0")).ToArray();
        var lr = Numbers(lrs, "--tune-lr");
        var b = betas is null ? [beta] : Numbers(betas, "--tune-beta");
        return lr.SelectMany(l => b.Select(x => new GridPoint(l, x))).ToList();
    }

    /// <summary>--prior-variance: a number > 0, or calibrated (null).</summary>
    private static double? PriorVariance(string text)
    {
        if (text == "calibrated") return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v)) return v;
        throw new CliUsageException($"--prior-variance {text}: expected a number > 0 (the paper's is 0.02) or calibrated");
    }

    /// <summary>Progress: a Spectre.Console bar over all method steps when interactive, log lines on the error stream always.</summary>
    private sealed class ProgressObserver(CliIO io, int totalSteps) : IAlignObserver
    {
        private readonly Lock _gate = new();
        private ProgressTask? _bar;
        private readonly List<double> _rss = [];

        public IReadOnlyList<double> RssAfterRuns { get { lock (_gate) return _rss.ToArray(); } }

        public async Task<T> RunManyAsync<T>(Func<Task<T>> run) where T : class
        {
            if (!io.Interactive) return await run();
            T? result = null;
            await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
            {
                _bar = ctx.AddTask("align: DPO steps of all grid points, methods and seeds", maxValue: Math.Max(1, totalSteps));
                result = await run();
                _bar.Value = _bar.MaxValue;
                _bar.Description = "align: done";
            });
            _bar = null;
            return result!;
        }

        public async Task<AlignResult> RunAsync(Func<Task<AlignResult>> run)
        {
            if (!io.Interactive) return await run();
            AlignResult? result = null;
            await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
            {
                _bar = ctx.AddTask("align: DPO steps of all methods and seeds", maxValue: Math.Max(1, totalSteps));
                result = await run();
                _bar.Value = _bar.MaxValue;
                _bar.Description = "align: done";
            });
            _bar = null;
            return result!;
        }

        public void Log(string line)
        {
            lock (_gate)
            {
                // While the bar is live, lines go through Spectre.Console so they print above it instead of through it.
                if (_bar != null) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
                else io.Err.WriteLine($"[align] {line}");
            }
        }

        public void RunStarted(string key, int steps)
        {
            lock (_gate)
                if (_bar != null) _bar.Description = Markup.Escape($"align: seed {key.Replace("/", ", ")}");
        }

        public void StepDone(string key, int step)
        {
            lock (_gate) _bar?.Increment(1);
        }

        public void RunFinished(string key, double accuracy)
        {
            lock (_gate) _rss.Add(ProcessStats.RssMegabytes());
        }
    }
}
