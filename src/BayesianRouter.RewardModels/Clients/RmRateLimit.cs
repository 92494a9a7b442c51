using System.Diagnostics;
using System.Threading.RateLimiting;
using BayesianRouter.RewardModels.Pipeline;

namespace BayesianRouter.RewardModels.Clients;

/// <summary>
/// An RM's rate limits from its pool entry (<c>rpm</c>, <c>tpm</c>) as token buckets
/// (System.Threading.RateLimiting's <see cref="TokenBucketRateLimiter"/>): each bucket holds a minute's allowance and is
/// refilled continuously (every 100 ms or so) at the per-minute rate, so a burst of up to a minute's allowance goes at
/// once and a steady stream keeps to the rate. A request takes one request token and its estimated tokens (UTF-8 bytes
/// of its body / 4, at most a bucket's size). With <c>"on_limit": "wait"</c> (default) it waits for room, in arrival
/// order, and never fails for it; with <c>"reroute"</c> it fails at once as <see cref="RmFailure.RateLimited"/> when
/// there is no room, and the router's next choice gets the pair or group. Waits and reroutes are counted in
/// <see cref="RmTelemetry"/>.
/// </summary>
public sealed class RmRateLimit : IDisposable
{
    private readonly TokenBucketRateLimiter? _requests, _tokens;
    private readonly KeyValuePair<string, object?> _rm;
    private readonly int _tokenLimit;

    public RmRateLimit(RmSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        _rm = RmTelemetry.Rm(spec.Name);
        if (spec.RequestsPerMinute is { } rpm) _requests = Bucket(rpm);
        if (spec.TokensPerMinute is { } tpm)
        {
            _tokens = Bucket(tpm);
            _tokenLimit = Size(tpm);
        }
    }

    public RmSpec Spec { get; }

    /// <summary>True when the spec sets a limit.</summary>
    public bool Limits => _requests is not null || _tokens is not null;

    /// <summary>True when the spec counts tokens (so the caller must estimate a request's tokens).</summary>
    public bool CountsTokens => _tokens is not null;

    /// <summary>The estimate of a request's tokens from its body: UTF-8 bytes / 4, at least 1.</summary>
    public static int EstimateTokens(int bodyBytes) => Math.Max(1, bodyBytes / 4);

    /// <summary>A bucket's size: a minute's allowance.</summary>
    private static int Size(double perMinute) => (int)Math.Min(int.MaxValue, Math.Max(Math.Max(1, Math.Ceiling(perMinute / 600)), Math.Ceiling(perMinute)));

    private static TokenBucketRateLimiter Bucket(double perMinute)
    {
        // refill about every 100 ms with a whole number of tokens: period = 60 s x tokens / rate
        int perPeriod = (int)Math.Min(int.MaxValue, Math.Max(1, Math.Ceiling(perMinute / 600)));
        var period = TimeSpan.FromSeconds(60.0 * perPeriod / perMinute);
        int size = Size(perMinute);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = size,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    /// <summary>
    /// Takes room for one request of <paramref name="tokens"/> estimated tokens: waits for it, or with
    /// <see cref="RateLimitAction.Reroute"/> fails at once (<see cref="RmCallException"/> of kind
    /// <see cref="RmFailure.RateLimited"/>) when there is none.
    /// </summary>
    public async ValueTask AcquireAsync(int tokens, CancellationToken cancellationToken)
    {
        if (!Limits) return;
        if (Spec.OnLimit == RateLimitAction.Reroute)
        {
            using var r = _requests?.AttemptAcquire(1);
            if (r is { IsAcquired: false }) throw Limited("requests");
            using var t = _tokens?.AttemptAcquire(Clamp(_tokens, tokens));
            if (t is { IsAcquired: false }) throw Limited("tokens");
            return;
        }
        long start = Stopwatch.GetTimestamp();
        bool waited = false;
        if (_requests is not null) waited |= await TakeAsync(_requests, 1, cancellationToken).ConfigureAwait(false);
        if (_tokens is not null) waited |= await TakeAsync(_tokens, Clamp(_tokens, tokens), cancellationToken).ConfigureAwait(false);
        if (waited)
        {
            RmTelemetry.RateLimitWaitCounter.Add(1, _rm);
            RmTelemetry.RateLimitWaitHistogram.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, _rm);
        }
    }

    private int Clamp(TokenBucketRateLimiter bucket, int tokens) => Math.Clamp(tokens, 1, bucket == _tokens ? _tokenLimit : 1);

    private static async ValueTask<bool> TakeAsync(TokenBucketRateLimiter bucket, int permits, CancellationToken cancellationToken)
    {
        using (var now = bucket.AttemptAcquire(permits))
            if (now.IsAcquired) return false;
        using var lease = await bucket.AcquireAsync(permits, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired) throw new RmCallException(RmFailure.Overloaded, "the rate limiter refused the request");
        return true;
    }

    private RmCallException Limited(string what)
    {
        RmTelemetry.RateLimitRerouteCounter.Add(1, _rm);
        return new RmCallException(RmFailure.RateLimited, $"{Spec.Name} is at its {(what == "requests" ? $"rpm limit ({Spec.RequestsPerMinute})" : $"tpm limit ({Spec.TokensPerMinute})")}; the pool file says to route elsewhere", false);
    }

    public void Dispose()
    {
        _requests?.Dispose();
        _tokens?.Dispose();
    }
}
