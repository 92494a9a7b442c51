using BayesianRouter.Features;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Service;

/// <summary>Everything <see cref="RoutingServer"/> runs with (the CLI's <c>serve</c> fills it from its options and the pool file).</summary>
public sealed record ServiceOptions
{
    /// <summary>The router: pool, features, prior (<see cref="RouterSetup.FromOfflineRouter"/> or <see cref="RouterSetup.WithoutOfflineRouter"/>).</summary>
    public required RouterSetup Setup { get; init; }

    /// <summary>The pool's RMs, in the setup's arm order.</summary>
    public required IReadOnlyList<IRewardModel> RewardModels { get; init; }

    /// <summary>Most batched calls in flight per RM (arm order); null = no limit here (the RM clients built from a pool
    /// file limit their own requests to the pool's <c>max_concurrency</c>).</summary>
    public IReadOnlyList<int>? MaxConcurrency { get; init; }

    /// <summary>Embeds the pairs' texts (e, e'): every request at once when it is an <see cref="Features.IConcurrentPairEmbedder"/>, else one request at a time.</summary>
    public required IPairEmbedder Embedder { get; init; }

    /// <summary>Folder of the durable state: decisions.db (SQLite, WAL) and checkpoint.bin.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>The address to bind: an IP address, <c>localhost</c> (127.0.0.1), or a name that resolves
    /// (<see cref="ListenAddresses"/>); a name that does not resolve is refused. Default loopback.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 = a free port (the bound one is <see cref="RoutingServer.Address"/>).</summary>
    public int Port { get; init; }

    /// <summary>The bearer token every endpoint but /healthz requires; null only with <see cref="InsecureLocal"/>.</summary>
    public string? Token { get; init; }

    /// <summary>Serve without authentication (only on a loopback address).</summary>
    public bool InsecureLocal { get; init; }

    /// <summary>Largest request body in bytes (413 above).</summary>
    public long MaxRequestBytes { get; init; } = 32L << 20;

    /// <summary>Most pairs per <c>/v1/label</c> request (413 above).</summary>
    public int MaxPairsPerRequest { get; init; } = 1024;

    /// <summary>Most items per <c>/v1/feedback</c> request (413 above).</summary>
    public int MaxFeedbackPerRequest { get; init; } = 8192;

    public RoutingSessionOptions Session { get; init; } = new();

    public LogDurability Durability { get; init; } = LogDurability.Full;

    /// <summary>
    /// The most time the RM calls of one <c>/v1/label</c> request may take (null: no limit but the RM clients' own
    /// timeouts): an RM too slow for its share falls back to the next choice, and the request answers by then
    /// (<see cref="PoolLabellerOptions.Deadline"/>). Default 60 s.
    /// </summary>
    public TimeSpan? RequestDeadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A checkpoint is written after this many feedback batches (and at shutdown); a restart replays at most these.</summary>
    public int CheckpointEveryBatches { get; init; } = 200;

    /// <summary>The reward endpoints (<c>/get_reward</c>, <c>/v1/rewards</c>): judges, standardisation, costs, audit, group window (docs/integrations.md).</summary>
    public Rewards.RewardServiceOptions Rewards { get; init; } = new();

    /// <summary>Where warnings and errors are written (never request headers or the token).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Checks the options; returns the addresses to bind.</summary>
    internal IReadOnlyList<System.Net.IPAddress> Validate()
    {
        if (RewardModels.Count != Setup.Pool.Count || !RewardModels.Select(r => r.Name).SequenceEqual(Setup.Pool, StringComparer.Ordinal))
            throw new ArgumentException($"the RMs ({string.Join(", ", RewardModels.Select(r => r.Name))}) must be the router's pool in its order ({string.Join(", ", Setup.Pool)})");
        if (Token is null && !InsecureLocal) throw new ArgumentException("a token is required (or run insecure on loopback explicitly)");
        if (Token is { Length: 0 }) throw new ArgumentException("the token is empty");
        if (Port is < 0 or > 65535) throw new ArgumentException($"port {Port} is not in 0..65535");
        var addresses = ListenAddresses.Resolve(Host);
        if (InsecureLocal && !addresses.All(System.Net.IPAddress.IsLoopback)) throw new ArgumentException($"--insecure-local serves only on a loopback address, not {Host}");
        if (RequestDeadline is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromDays(1))) throw new ArgumentException($"the request deadline must lie in (0 s, 1 day], got {d}");
        if (MaxPairsPerRequest < 1 || MaxFeedbackPerRequest < 1 || MaxRequestBytes < 1024) throw new ArgumentException("request limits must be positive (body at least 1 KiB)");
        if (CheckpointEveryBatches < 1) throw new ArgumentException("checkpoint interval must be at least 1 batch");
        if (Embedder.Dimension != Setup.Features.EncoderDimension)
            throw new ArgumentException($"the encoder gives {Embedder.Dimension}-dimensional embeddings, the router's features expect {Setup.Features.EncoderDimension}");
        return addresses;
    }
}
