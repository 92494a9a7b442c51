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

    /// <summary>A checkpoint is written after this many feedback batches (and at shutdown); a restart replays at most these.</summary>
    public int CheckpointEveryBatches { get; init; } = 200;

    /// <summary>Where warnings and errors are written (never request headers or the token).</summary>
    public TextWriter? Log { get; init; }

    internal void Validate()
    {
        if (RewardModels.Count != Setup.Pool.Count || !RewardModels.Select(r => r.Name).SequenceEqual(Setup.Pool, StringComparer.Ordinal))
            throw new ArgumentException($"the RMs ({string.Join(", ", RewardModels.Select(r => r.Name))}) must be the router's pool in its order ({string.Join(", ", Setup.Pool)})");
        if (Token is null && !InsecureLocal) throw new ArgumentException("a token is required (or run insecure on loopback explicitly)");
        if (Token is { Length: 0 }) throw new ArgumentException("the token is empty");
        if (InsecureLocal && !IsLoopback(Host)) throw new ArgumentException($"--insecure-local serves only on a loopback address, not {Host}");
        if (Port is < 0 or > 65535) throw new ArgumentException($"port {Port} is not in 0..65535");
        if (MaxPairsPerRequest < 1 || MaxFeedbackPerRequest < 1 || MaxRequestBytes < 1024) throw new ArgumentException("request limits must be positive (body at least 1 KiB)");
        if (CheckpointEveryBatches < 1) throw new ArgumentException("checkpoint interval must be at least 1 batch");
        if (Embedder.Dimension != Setup.Features.EncoderDimension)
            throw new ArgumentException($"the encoder gives {Embedder.Dimension}-dimensional embeddings, the router's features expect {Setup.Features.EncoderDimension}");
    }

    internal static bool IsLoopback(string host) =>
        host is "localhost" || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
