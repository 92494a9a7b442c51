namespace BayesianRouter.RewardModels.Serving;

/// <summary>How a <see cref="RecordedRmServer"/> listens and misbehaves.</summary>
public sealed record RecordedRmServerOptions
{
    /// <summary>The address to bind: an IP address or "localhost" (loopback by default; never exposed unless asked).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (read it from <see cref="RecordedRmServer.Url"/>).</summary>
    public int Port { get; init; }

    /// <summary>Delay added before every answer, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Share of requests answered with HTTP 500 at random (a generator seeded by <see cref="Seed"/>).</summary>
    public double FailRate { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>The fault every request gets unless its fault header says otherwise.</summary>
    public RmFault Fault { get; init; } = RmFault.None;

    /// <summary>The openrlhf query template the clients use (to find the prompt and response of a query); null: the default.</summary>
    public string? QueryTemplate { get; init; }

    /// <summary>The openai-judge template the clients use (to find the prompt and responses of a message); null: the default.</summary>
    public string? JudgeTemplate { get; init; }

    /// <summary>How long the timeout fault holds a request before giving up with HTTP 504.</summary>
    public TimeSpan HangFor { get; init; } = TimeSpan.FromMinutes(10);
}
