namespace BayesianRouter.RewardModels.Clients;

/// <summary>Settings of the RM clients that are not per RM (those are in the pool file): seeds, back-off, environment.</summary>
public sealed record RmClientOptions
{
    /// <summary>Seed of the openai-judge's coin that decides, per pair, which response is shown first.</summary>
    public int JudgeSeed { get; init; } = 1;

    /// <summary>First retry delay; each further retry doubles it, with jitter (Polly's exponential back-off).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two retries.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests that may wait for a concurrency slot of one RM; one more fails at once as overloaded.</summary>
    public int QueueLimit { get; init; } = 10_000;

    /// <summary>Reads an environment variable (the API keys named by api_key_env); tests give their own.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;
}
