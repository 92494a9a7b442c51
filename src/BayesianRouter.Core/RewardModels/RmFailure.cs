namespace BayesianRouter.RewardModels;

/// <summary>
/// Why a reward-model call failed, as a short word that starts the reason of a failed <see cref="RmJudgment"/>
/// (<c>"timeout: no answer within 2 s"</c>): telemetry counts failures by it, and a caller can tell a dead RM
/// (<see cref="Connection"/>, <see cref="CircuitOpen"/>) from a bad answer (<see cref="Malformed"/>,
/// <see cref="NonFinite"/>, <see cref="InvalidAnswer"/>) without parsing prose.
/// </summary>
public static class RmFailure
{
    /// <summary>No answer within the RM's timeout (after retries).</summary>
    public const string Timeout = "timeout";

    /// <summary>The RM's server could not be reached (connection refused, reset, DNS).</summary>
    public const string Connection = "connection";

    /// <summary>The server answered HTTP 5xx (after retries), 408 or 429.</summary>
    public const string ServerError = "http_5xx";

    /// <summary>The server refused the request (HTTP 4xx other than 408 and 429): retrying cannot help.</summary>
    public const string ClientError = "http_4xx";

    /// <summary>The answer was not the protocol's shape: bad JSON, a missing field, the wrong number of items.</summary>
    public const string Malformed = "malformed";

    /// <summary>The answer held a NaN or infinite score.</summary>
    public const string NonFinite = "non_finite";

    /// <summary>A pairwise judge answered something other than its two choices.</summary>
    public const string InvalidAnswer = "invalid_answer";

    /// <summary>The RM's circuit breaker is open: it failed too often lately, so it is not called for a while.</summary>
    public const string CircuitOpen = "circuit_open";

    /// <summary>Too many calls were already waiting for the RM's concurrency limit.</summary>
    public const string Overloaded = "overloaded";

    /// <summary>The RM's rate limit (<c>rpm</c>, <c>tpm</c>) had no room and its pool entry says <c>"on_limit": "reroute"</c>.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>A recorded RM has no judgment for the texts it was given.</summary>
    public const string NotFound = "not_found";

    /// <summary>Any other failure.</summary>
    public const string Other = "other";

    /// <summary>Every kind, in the order above.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        [Timeout, Connection, ServerError, ClientError, Malformed, NonFinite, InvalidAnswer, CircuitOpen, Overloaded, NotFound, Other, RateLimited];

    /// <summary>A failed judgment whose reason reads <c>"kind: detail"</c>.</summary>
    public static RmJudgment Judgment(string kind, string detail) => RmJudgment.Failed(Reason(kind, detail));

    /// <summary>The reason text <c>"kind: detail"</c>.</summary>
    public static string Reason(string kind, string detail) => $"{kind}: {detail}";

    /// <summary>The kind a failure reason starts with; <see cref="Other"/> when it starts with none.</summary>
    public static string KindOf(string? reason)
    {
        if (string.IsNullOrEmpty(reason)) return Other;
        int colon = reason.IndexOf(':');
        if (colon <= 0) return Other;
        var head = reason.AsSpan(0, colon);
        foreach (var kind in Kinds)
            if (head.SequenceEqual(kind)) return kind;
        return Other;
    }
}
