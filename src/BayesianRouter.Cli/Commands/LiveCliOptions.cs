using System.CommandLine;
using BayesianRouter.Encoding;
using BayesianRouter.IO;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.RewardModels;
using BayesianRouter.Service;

namespace BayesianRouter.Cli.Commands;

/// <summary>
/// Options shared by <c>serve</c> and <c>label</c>: the pool file, the optional offline router, the routing session's
/// settings and the encoder; and the one composition of them into a router setup, an embedder and the pool's RMs.
/// </summary>
internal sealed class LiveCliOptions
{
    public Option<FileInfo> Pool { get; } = new("--pool")
    {
        Description = "Pool file (JSON, docs/pool-file.md): the RMs to route between, their backends (vllm-classify, openrlhf, openai-judge), URLs, timeouts and max_concurrency; a cost per RM and an optional budget (mean cost per pair) for cost-aware routing (docs/cost-aware-routing.md).",
        Required = true,
    };

    public Option<FileInfo?> Router { get; } = new("--router")
    {
        Description = "Offline router artifact (offline train): route with the bayesian-router built on it (--online-model) on its pair features. Its RM names must be the pool's. Without it: Thompson sampling with a zero prior on the encoder's pair features.",
    };

    public Option<string> OnlineModel { get; } = new("--online-model")
    {
        Description = "With --router: the online model. hierarchical = the calibrated offline prediction plus global, domain and prompt (group) corrections learned from the feedback; paper = the paper's linear Thompson sampling on h with prior mean E_bt, sigma_w^2 = 0.02. Default and the measurement behind it: docs/online-model.md (\"Live feedback\"). A state folder keeps the model it was made with.",
        DefaultValueFactory = _ => RouterSetup.DefaultLiveModel == Routing.OnlineModel.Paper ? "paper" : "hierarchical",
    };

    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of the router's draws (decisions, probability estimates, exploration) and of the feature projection.", DefaultValueFactory = _ => 1 };

    public Option<double> Explore { get; } = new("--explore")
    {
        Description = "Exploration floor epsilon in [0, 1): with this probability a pair goes to an RM drawn uniformly, so every RM keeps a choice probability of at least epsilon / N (what `ope` needs to evaluate other policies reliably). 0 = the paper's pure Thompson sampling.",
        DefaultValueFactory = _ => 0.0,
    };

    public Option<int> McDraws { get; } = new("--mc-draws")
    {
        Description = "How the logged choice probability is computed: 0 (default) exactly; M > 0 by the Monte-Carlo estimate of earlier releases with M draws per pair (its error is about sqrt(p(1-p)/M); it overstates rare choices, docs/ope.md).",
        DefaultValueFactory = _ => 0,
    };

    public Option<DirectoryInfo?> EncoderCache { get; } = new("--encoder-cache")
    {
        Description = "Folder of the persistent embedding cache (default: $BAYESROUTER_CACHE, else ~/.cache/bayesrouter/embeddings).",
    };

    public Option<int> MaxTokens { get; } = new("--max-tokens")
    {
        Description = "Encoder truncation without --router (with --router, the router's own setting is used).",
        DefaultValueFactory = _ => EncoderOptions.DefaultMaxTokens,
    };

    /// <summary>The encoder: the shared local MiniLM or an embeddings server, and the cache's cap.</summary>
    public EncoderCliOptions Encoder { get; } = new();

    public void AddTo(Command cmd)
    {
        OnlineModel.AcceptOnlyFromAmong("hierarchical", "paper");
        foreach (var o in new Option[] { Pool, Router, OnlineModel, Seed, Explore, McDraws, EncoderCache, MaxTokens }) cmd.Options.Add(o);
        Encoder.AddTo(cmd);
    }

    /// <summary>Checks the values of these options (before anything is loaded or created).</summary>
    public void Check(ParseResult parse)
    {
        double eps = parse.GetValue(Explore);
        if (!(eps >= 0 && eps < 1)) throw new CliUsageException($"--explore {eps.ToString(System.Globalization.CultureInfo.InvariantCulture)}: must lie in [0, 1)");
        int draws = parse.GetValue(McDraws);
        if (draws < 0) throw new CliUsageException($"--mc-draws {draws}: must be 0 (exact) or more");
        int tokens = parse.GetValue(MaxTokens);
        if (tokens is < 4 or > 512) throw new CliUsageException($"--max-tokens {tokens}: must lie in 4..512 (BERT's position table)");
        if (parse.GetValue(Pool) is { } pool && !pool.Exists)
            throw new CliUsageException($"--pool {pool.FullName}: no such pool file");
        if (parse.GetValue(Router) is { } router && !router.Exists)
            throw new CliUsageException($"--router {router.FullName}: no such router file");
        if (parse.GetValue(EncoderCache) is { } cache) OutputPath.CheckFolder(cache.FullName, "--encoder-cache");
    }

    /// <summary>The session's options: exploration, Monte-Carlo draws, and the pool file's RM costs and budget.</summary>
    public RoutingSessionOptions SessionOptions(ParseResult parse, LiveParts parts)
    {
        Check(parse);
        return new RoutingSessionOptions { Exploration = parse.GetValue(Explore), MonteCarloDraws = parse.GetValue(McDraws), Costs = parts.Costs, Budget = parts.Budget };
    }

    /// <summary>Reads the pool (and router), builds the encoder, the router setup and the RMs in arm order.</summary>
    public LiveParts Build(ParseResult parse)
    {
        var pool = PoolFile.Load(parse.GetValue(Pool)!.FullName);
        var routerFile = parse.GetValue(Router);
        var offline = routerFile is null ? null : OfflineRouter.Load(routerFile.FullName);
        var specs = offline is null ? pool.Rms : pool.InRouterOrder(offline.Pool, routerFile!.FullName);
        int maxTokens = offline?.MaxTokens ?? parse.GetValue(MaxTokens);
        var embedder = Encoder.Build(parse, new EncoderOptions { MaxTokens = maxTokens }, parse.GetValue(EncoderCache)?.FullName);
        try
        {
            CheckEncoder(offline, routerFile?.FullName, embedder);
            long seed = parse.GetValue(Seed);
            var setup = offline is null
                ? RouterSetup.WithoutOfflineRouter(specs.Select(s => s.Name).ToArray(), embedder.Dimension, seed)
                : RouterSetup.FromOfflineRouter(offline, seed, new Routing.BayesianRouterOptions
                {
                    Model = parse.GetValue(OnlineModel) == "paper" ? Routing.OnlineModel.Paper : Routing.OnlineModel.Hierarchical,
                });
            var rms = RewardModelFactory.CreatePool(new RmPool(pool.File, specs, pool.Budget));
            return new LiveParts(setup, embedder, rms, offline) { Costs = specs.Select(r => r.Cost).ToArray(), Budget = pool.Budget, Specs = specs, Rewards = pool.Rewards };
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a router trained on another encoder than the one this build embeds with, naming the file.</summary>
    public static void CheckEncoder(OfflineRouter? offline, string? routerPath, CachedPairEmbedder embedder)
    {
        if (offline != null && offline.EncoderId != embedder.EncoderId)
            throw new InvalidDataException($"{routerPath}: the router was trained on encoder \"{offline.EncoderId}\", this build embeds with \"{embedder.EncoderId}\"");
    }

    /// <summary>Keeps the offline router beside the state (for <c>ope</c>'s offline-only policy); never overwrites one.</summary>
    public static void KeepRouter(OfflineRouter? offline, string stateDirectory)
    {
        if (offline is null) return;
        var path = Path.Combine(stateDirectory, "router.bin");
        if (!File.Exists(path)) offline.Save(path);
    }
}

/// <summary>What <see cref="LiveCliOptions.Build"/> composed; disposing it closes the encoder and the RM clients.</summary>
internal sealed record LiveParts(RouterSetup Setup, CachedPairEmbedder Embedder, RemoteRewardModelPool Rms, OfflineRouter? Offline) : IDisposable
{
    /// <summary>The pool file's cost per RM, in arm order, and its budget (null = none).</summary>
    public IReadOnlyList<double>? Costs { get; init; }
    public double? Budget { get; init; }

    /// <summary>The pool file's RMs in arm order, and its <c>rewards</c> object (the reward endpoints' settings).</summary>
    public IReadOnlyList<RmSpec> Specs { get; init; } = [];
    public RewardEndpointSpec Rewards { get; init; } = new();

    public void Dispose()
    {
        Rms.Dispose();
        Embedder.Dispose();
    }
}
