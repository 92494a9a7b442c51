namespace BayesianRouter.RewardModels;

/// <summary>How BayesianRouter talks to an RM's server (docs/rm-backends.md).</summary>
public enum RmBackend
{
    /// <summary>vLLM <c>POST /classify</c>, chat form (user = prompt, assistant = response): a scalar score per response.</summary>
    VllmClassify,

    /// <summary>OpenRLHF reward server <c>POST /get_reward</c>: <c>{"query": [...]}</c> -> <c>{"rewards": [...]}</c>.</summary>
    OpenRlhf,

    /// <summary>An OpenAI-compatible chat model as a pairwise judge (<c>POST /v1/chat/completions</c>, answer "0" or "1").</summary>
    OpenAiJudge,
}

public static class RmBackendNames
{
    /// <summary>The pool-file spelling of each backend.</summary>
    public static IReadOnlyDictionary<string, RmBackend> ByName { get; } = new Dictionary<string, RmBackend>(StringComparer.Ordinal)
    {
        ["vllm-classify"] = RmBackend.VllmClassify,
        ["openrlhf"] = RmBackend.OpenRlhf,
        ["openai-judge"] = RmBackend.OpenAiJudge,
    };

    public static string ToName(this RmBackend backend) => ByName.First(kv => kv.Value == backend).Key;

    /// <summary>The endpoint paths the clients append to a pool file's base URL.</summary>
    public const string ClassifyPath = "/classify", GetRewardPath = "/get_reward", ChatCompletionsPath = "/v1/chat/completions";

    /// <summary>The path a backend's requests go to, below the server's base URL.</summary>
    public static string EndpointPath(this RmBackend backend) => backend switch
    {
        RmBackend.VllmClassify => ClassifyPath,
        RmBackend.OpenRlhf => GetRewardPath,
        _ => ChatCompletionsPath,
    };
}

/// <summary>The circuit breaker of one RM (Polly's advanced breaker): it opens when, within the last
/// <see cref="WindowSeconds"/>, at least <see cref="MinCalls"/> requests were made and at least
/// <see cref="FailureRatio"/> of them failed; while open, calls fail at once (<see cref="RmFailure.CircuitOpen"/>); after
/// <see cref="BreakSeconds"/> one trial request decides whether it closes again.</summary>
public sealed record RmCircuitBreakerSpec
{
    public double FailureRatio { get; init; } = 0.5;
    public int MinCalls { get; init; } = 10;
    public double WindowSeconds { get; init; } = 30;
    public double BreakSeconds { get; init; } = 5;
}

/// <summary>One RM of a pool file: where it is served, how to talk to it, and how patiently.</summary>
public sealed record RmSpec
{
    public const double DefaultCost = 1;
    public const double DefaultTimeoutSeconds = 30;
    public const int DefaultMaxConcurrency = 8;
    public const int DefaultRetries = 2;
    public const int DefaultMaxBatch = 32;

    /// <summary>The RM's name: as in pair files and router artifacts.</summary>
    public required string Name { get; init; }

    public required RmBackend Backend { get; init; }

    /// <summary>The server's base URL (the endpoint path is appended).</summary>
    public required Uri Url { get; init; }

    /// <summary>The served model's name (sent as <c>"model"</c>; required by openai-judge).</summary>
    public string? Model { get; init; }

    /// <summary>The price of one call relative to the pool's other RMs (cost-aware routing; default 1).</summary>
    public double Cost { get; init; } = DefaultCost;

    /// <summary>Timeout of one HTTP attempt, in seconds.</summary>
    public double TimeoutSeconds { get; init; } = DefaultTimeoutSeconds;

    /// <summary>At most this many HTTP requests to this RM at once; more wait.</summary>
    public int MaxConcurrency { get; init; } = DefaultMaxConcurrency;

    /// <summary>The environment variable holding the API key (openai-judge only).</summary>
    public string? ApiKeyEnv { get; init; }

    /// <summary>The query (openrlhf) or judge message (openai-judge) template; null: the backend's default.</summary>
    public string? Template { get; init; }

    /// <summary>Retries of a transient failure (5xx, timeout, connection), with exponential back-off and jitter.</summary>
    public int Retries { get; init; } = DefaultRetries;

    /// <summary>Pairs per HTTP request where the protocol batches (openrlhf).</summary>
    public int MaxBatch { get; init; } = DefaultMaxBatch;

    public RmCircuitBreakerSpec CircuitBreaker { get; init; } = new();

    /// <summary>Most requests per minute to this RM (a token bucket holding a minute's allowance, refilled continuously); null: no limit.</summary>
    public double? RequestsPerMinute { get; init; }

    /// <summary>Most tokens per minute sent to this RM (estimated as a request body's UTF-8 bytes / 4); null: no limit.</summary>
    public double? TokensPerMinute { get; init; }

    /// <summary>What a call does when the RM's rate limit has no room: wait for it (default), or fail at once as
    /// <see cref="RmFailure.RateLimited"/> so the pair or group goes to the next RM of its decision's fallback order.</summary>
    public RateLimitAction OnLimit { get; init; } = RateLimitAction.Wait;

    /// <summary>The reward endpoints return this RM's scores standardised by its running mean and spread (docs/integrations.md).</summary>
    public bool Standardise { get; init; }

    /// <summary>
    /// openai-judge: the request field that carries the answer's token limit, <c>max_tokens</c> or
    /// <c>max_completion_tokens</c> (OpenAI's reasoning models refuse <c>max_tokens</c>); null: chosen by the model's
    /// name (<see cref="EffectiveTokenLimitField"/>).
    /// </summary>
    public string? TokenLimitField { get; init; }

    /// <summary>openai-judge: the answer's token limit (1: the answer is one token, "0" or "1"; a reasoning model needs room to think first).</summary>
    public int MaxOutputTokens { get; init; } = 1;

    /// <summary>The two token-limit fields an OpenAI-compatible chat server takes.</summary>
    public static IReadOnlyList<string> TokenLimitFields { get; } = ["max_tokens", "max_completion_tokens"];

    /// <summary>
    /// The token-limit field in force: <see cref="TokenLimitField"/>, else <c>max_completion_tokens</c> for a model whose
    /// name (after any <c>provider/</c> prefix) starts with o1, o3, o4 or gpt-5 (OpenAI's models that refuse
    /// <c>max_tokens</c>), else <c>max_tokens</c> (what vLLM, TGI and older models take).
    /// </summary>
    public string EffectiveTokenLimitField => TokenLimitField ?? (Model is { } m && NeedsCompletionTokens(m) ? "max_completion_tokens" : "max_tokens");

    private static bool NeedsCompletionTokens(string model)
    {
        var name = model[(model.LastIndexOf('/') + 1)..].ToLowerInvariant();
        return name.StartsWith("o1", StringComparison.Ordinal) || name.StartsWith("o3", StringComparison.Ordinal)
            || name.StartsWith("o4", StringComparison.Ordinal) || name.StartsWith("gpt-5", StringComparison.Ordinal);
    }

    /// <summary>The template in force: <see cref="Template"/> or the backend's default; null for vllm-classify.</summary>
    public RmTemplate? EffectiveTemplate => Backend switch
    {
        RmBackend.OpenRlhf => RmTemplate.Query(Template),
        RmBackend.OpenAiJudge => RmTemplate.Judge(Template),
        _ => null,
    };
}

/// <summary>What a call to a rate-limited RM does when the limit has no room.</summary>
public enum RateLimitAction
{
    /// <summary>Wait until the token buckets have room (the request is late, never failed for it).</summary>
    Wait,

    /// <summary>Fail at once (<see cref="RmFailure.RateLimited"/>): the router's next choice gets the pair or group.</summary>
    Reroute,
}

/// <summary>
/// The reward endpoints' settings (the pool file's <c>rewards</c> object, docs/integrations.md): the audit that gives
/// the router feedback when the trainer sends none, and how long a group stays on its RM across requests.
/// </summary>
public sealed record RewardEndpointSpec
{
    /// <summary>The seeded share of group decisions also scored by a second RM (the auditor); their rank agreement is the decision's reward.</summary>
    public double AuditShare { get; init; } = 0.1;

    /// <summary>The RMs an audit may use (never the group's own RM); null: any other RM of the pool.</summary>
    public IReadOnlyList<string>? AuditRms { get; init; }

    /// <summary>Seconds a group keeps its decision for later requests naming the same group (trainers that ask per rollout).</summary>
    public double GroupWindowSeconds { get; init; } = 600;
}

/// <summary>A pool file's content: the RMs a router may call, in file order (docs/pool-file.md).</summary>
public sealed class RmPool
{
    public RmPool(string file, IReadOnlyList<RmSpec> rms, double? budget = null)
    {
        File = file;
        Rms = rms;
        Budget = budget;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rm in rms)
            if (!names.Add(rm.Name)) throw new ArgumentException($"{file}: two RMs are named \"{rm.Name}\"");
    }

    /// <summary>The file it was read from (named in messages).</summary>
    public string File { get; }

    public IReadOnlyList<RmSpec> Rms { get; }

    /// <summary>Cost budget per pair for cost-aware routing (reserved for a later issue); null: none.</summary>
    public double? Budget { get; }

    /// <summary>The reward endpoints' settings (the pool file's <c>rewards</c> object).</summary>
    public RewardEndpointSpec Rewards { get; init; } = new();

    public IReadOnlyList<string> Names => Rms.Select(r => r.Name).ToList();

    public RmSpec this[string name] => Rms.FirstOrDefault(r => r.Name == name)
        ?? throw new KeyNotFoundException($"{File}: no RM named \"{name}\" (the pool has {string.Join(", ", Names)})");

    /// <summary>
    /// The pool's RMs in the order of a router's arms (<c>OfflineRouter.Pool</c>). The pool must name exactly the
    /// router's RMs; otherwise a <see cref="PoolFileException"/> says which are missing and which are extra.
    /// </summary>
    public IReadOnlyList<RmSpec> InRouterOrder(IReadOnlyList<string> routerPool, string routerName)
    {
        var mine = Names;
        var missing = routerPool.Where(n => !mine.Contains(n, StringComparer.Ordinal)).ToList();
        var extra = mine.Where(n => !routerPool.Contains(n, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"lacks {Quote(missing)}");
            if (extra.Count > 0) parts.Add($"has {Quote(extra)} that the router does not know");
            throw new PoolFileException(File, "rms",
                $"the RM names must match the router's: {routerName} routes among {Quote(routerPool)}; this pool {string.Join(" and ", parts)}");
        }
        return routerPool.Select(n => this[n]).ToList();
    }

    private static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));
}
