using System.Diagnostics.Metrics;

namespace BayesianRouter.RewardModels.Pipeline;

/// <summary>
/// Per-RM telemetry through <see cref="System.Diagnostics.Metrics"/> (docs/rm-backends.md, "Telemetry"): a host exports
/// the meter <see cref="MeterName"/> however it likes (OpenTelemetry, Prometheus, dotnet-counters); this project knows
/// no exporter. Every instrument carries the tag <c>rm</c> (the RM's name).
/// </summary>
public static class RmTelemetry
{
    public const string MeterName = "BayesianRouter.RewardModels";

    /// <summary>Calls of an RM (one per batch the pipeline sends down; tag <c>outcome</c>: ok | failed, failed when any pair of the call failed).</summary>
    public const string Calls = "bayesrouter.rm.calls";

    /// <summary>Judged pairs (tag <c>outcome</c>: ok | failed).</summary>
    public const string Judgments = "bayesrouter.rm.judgments";

    /// <summary>Failed pairs by reason (tag <c>reason</c>: one of <see cref="RmFailure.Kinds"/>).</summary>
    public const string Failures = "bayesrouter.rm.failures";

    /// <summary>Seconds one call took, retries and waiting for a concurrency slot included.</summary>
    public const string Duration = "bayesrouter.rm.call.duration";

    /// <summary>HTTP requests sent (attempts; tag <c>outcome</c>: ok | timeout | connection | http_5xx | http_4xx | malformed | non_finite).</summary>
    public const string Requests = "bayesrouter.rm.requests";

    /// <summary>Retries of transient failures.</summary>
    public const string Retries = "bayesrouter.rm.retries";

    /// <summary>Times the circuit breaker opened.</summary>
    public const string CircuitOpened = "bayesrouter.rm.circuit.opened";

    /// <summary>Times the circuit breaker closed again after a successful trial.</summary>
    public const string CircuitClosed = "bayesrouter.rm.circuit.closed";

    /// <summary>Requests that waited for an RM's rate limit (<c>rpm</c>, <c>tpm</c>).</summary>
    public const string RateLimitWaits = "bayesrouter.rm.ratelimit.waits";

    /// <summary>Seconds a request waited for an RM's rate limit (only requests that waited).</summary>
    public const string RateLimitWait = "bayesrouter.rm.ratelimit.wait";

    /// <summary>Requests refused at once because the rate limit had no room and the pool file says to route elsewhere.</summary>
    public const string RateLimitReroutes = "bayesrouter.rm.ratelimit.rerouted";

    private static readonly Meter Meter = new(MeterName, "1.0");

    internal static readonly Counter<long> CallCounter = Meter.CreateCounter<long>(Calls, "{call}", "RM calls (one per batch sent down the pipeline)");
    internal static readonly Counter<long> JudgmentCounter = Meter.CreateCounter<long>(Judgments, "{pair}", "Pairs judged by an RM");
    internal static readonly Counter<long> FailureCounter = Meter.CreateCounter<long>(Failures, "{pair}", "Pairs an RM failed to judge, by reason");
    internal static readonly Histogram<double> DurationHistogram = Meter.CreateHistogram<double>(Duration, "s", "Duration of one RM call, retries included",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
    internal static readonly Counter<long> RequestCounter = Meter.CreateCounter<long>(Requests, "{request}", "HTTP requests sent to an RM server");
    internal static readonly Counter<long> RetryCounter = Meter.CreateCounter<long>(Retries, "{retry}", "Retries of transient RM failures");
    internal static readonly Counter<long> OpenedCounter = Meter.CreateCounter<long>(CircuitOpened, "{event}", "Circuit breaker openings");
    internal static readonly Counter<long> ClosedCounter = Meter.CreateCounter<long>(CircuitClosed, "{event}", "Circuit breaker closings");

    internal static readonly Counter<long> RateLimitWaitCounter = Meter.CreateCounter<long>(RateLimitWaits, "{request}", "Requests that waited for the RM's rate limit");
    internal static readonly Histogram<double> RateLimitWaitHistogram = Meter.CreateHistogram<double>(RateLimitWait, "s", "Time a request waited for the RM's rate limit",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
    internal static readonly Counter<long> RateLimitRerouteCounter = Meter.CreateCounter<long>(RateLimitReroutes, "{request}", "Requests refused by the RM's rate limit and routed elsewhere");

    internal static KeyValuePair<string, object?> Rm(string name) => new("rm", name);
}
