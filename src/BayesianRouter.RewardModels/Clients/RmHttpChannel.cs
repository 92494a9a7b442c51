using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using BayesianRouter.RewardModels.Pipeline;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;

namespace BayesianRouter.RewardModels.Clients;

/// <summary>
/// The HTTP transport of one RM: posts a protocol request and reads the answer through a Polly pipeline, outermost
/// first: a concurrency limiter (<c>max_concurrency</c>), retries of transient failures with exponential back-off
/// and jitter (<c>retries</c>), a circuit breaker (<c>circuit_breaker</c>) and a timeout per attempt
/// (<c>timeout_s</c>). An answer is read and checked inside the attempt, so an answer off the protocol (malformed,
/// non-finite, an invalid judge answer) counts as a failure for the breaker, and so does an HTTP 4xx (a refused key, a
/// model that refuses the request: every later call would fail the same way); neither is retried (asking again would
/// get the same answer). Every failure leaves as an
/// <see cref="RmCallException"/> with its kind; the caller's cancellation leaves as
/// <see cref="OperationCanceledException"/>. The API key goes into the Authorization header only, never into a message.
/// </summary>
public sealed partial class RmHttpChannel : IDisposable
{
    private readonly HttpClient _http;
    private readonly ResiliencePipeline _pipeline, _attempt;
    private readonly RmRateLimit _rate;
    private readonly string? _apiKey;
    private readonly KeyValuePair<string, object?> _rmTag;
    private readonly CircuitBreakerStateProvider _circuit = new();

    public RmHttpChannel(RmSpec spec, RmClientOptions options, string? apiKey = null, HttpMessageHandler? handler = null)
    {
        Spec = spec;
        _apiKey = apiKey;
        _rmTag = RmTelemetry.Rm(spec.Name);
        var timeout = TimeSpan.FromSeconds(spec.TimeoutSeconds);
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = timeout < TimeSpan.FromSeconds(10) ? timeout : TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // the pipeline's timeout rules
        };
        (_pipeline, _attempt) = BuildPipeline(spec, options, timeout);
        _rate = new RmRateLimit(spec);
    }

    public RmSpec Spec { get; }

    /// <summary>The circuit breaker's state: Closed (calls pass), Open (calls fail at once), HalfOpen (one trial call).</summary>
    public CircuitState CircuitState => _circuit.CircuitState;

    /// <summary>The outer pipeline (concurrency limit, retries) and the pipeline of one attempt (circuit breaker,
    /// timeout); an attempt waits for the rate limit between the two, so the wait counts toward neither the timeout nor
    /// the breaker, and every retry takes room of its own.</summary>
    private (ResiliencePipeline Outer, ResiliencePipeline Attempt) BuildPipeline(RmSpec spec, RmClientOptions options, TimeSpan timeout)
    {
        var builder = new ResiliencePipelineBuilder();
        builder.AddConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = spec.MaxConcurrency,
            QueueLimit = options.QueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        if (spec.Retries > 0)
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RmCallException>(e => e.Transient).Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = spec.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                OnRetry = _ =>
                {
                    RmTelemetry.RetryCounter.Add(1, _rmTag);
                    return default;
                },
            });
        var outer = builder.Build();
        builder = new ResiliencePipelineBuilder();
        var breaker = spec.CircuitBreaker;
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RmCallException>(CountsForTheBreaker).Handle<TimeoutRejectedException>(),
            FailureRatio = breaker.FailureRatio,
            MinimumThroughput = breaker.MinCalls,
            SamplingDuration = TimeSpan.FromSeconds(breaker.WindowSeconds),
            BreakDuration = TimeSpan.FromSeconds(breaker.BreakSeconds),
            StateProvider = _circuit,
            OnOpened = _ =>
            {
                RmTelemetry.OpenedCounter.Add(1, _rmTag);
                return default;
            },
            OnClosed = _ =>
            {
                RmTelemetry.ClosedCounter.Add(1, _rmTag);
                return default;
            },
        });
        builder.AddTimeout(timeout);
        return (outer, builder.Build());
    }

    /// <summary>
    /// Posts <paramref name="request"/> to <paramref name="endpoint"/> and returns the answer once
    /// <paramref name="check"/> finds nothing wrong with it (it returns what is wrong, or null).
    /// </summary>
    public async Task<TResponse> PostAsync<TRequest, TResponse>(
        Uri endpoint, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType,
        Func<TResponse, string?> check, CancellationToken cancellationToken)
        where TResponse : class
    {
        int attempts = 0;
        int tokens = _rate.CountsTokens ? RmRateLimit.EstimateTokens(JsonSerializer.SerializeToUtf8Bytes(request, requestType).Length) : 1;
        try
        {
            return await _pipeline.ExecuteAsync(async outerToken =>
            {
                await _rate.AcquireAsync(tokens, outerToken).ConfigureAwait(false);
                return await _attempt.ExecuteAsync(async token =>
                {
                    Interlocked.Increment(ref attempts);
                    return await AttemptAsync(endpoint, request, requestType, responseType, check, token, cancellationToken).ConfigureAwait(false);
                }, outerToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException e)
        {
            throw new RmCallException(RmFailure.Timeout, $"no answer from {endpoint} within {Spec.TimeoutSeconds:0.###} s ({Attempts(attempts)})", true, e);
        }
        catch (BrokenCircuitException e)
        {
            var wait = e.RetryAfter is { } after ? $"; it is tried again in {after.TotalSeconds:0.#} s" : "";
            throw new RmCallException(RmFailure.CircuitOpen, $"{endpoint} failed too often lately, so it is not called for now{wait}", false, e);
        }
        catch (RateLimiterRejectedException e)
        {
            throw new RmCallException(RmFailure.Overloaded, $"more than {Spec.MaxConcurrency} requests to {Spec.Name} running and the waiting queue is full", false, e);
        }
        catch (RmCallException e) when (attempts > 1)
        {
            throw new RmCallException(e.Kind, $"{e.Message} ({Attempts(attempts)})", e.Transient, e.InnerException);
        }
        finally
        {
            RmAttempts.Record(attempts); // every request is charged (RmJudgment.Attempts)
        }
    }

    private static string Attempts(int n) => n == 1 ? "1 attempt" : $"{n} attempts";

    /// <summary>The failures that count for the circuit breaker: every one the RM's server causes (transient ones, 4xx, answers off the protocol).</summary>
    internal static bool CountsForTheBreaker(RmCallException e) =>
        e.Transient || e.Kind is RmFailure.ClientError or RmFailure.Malformed or RmFailure.NonFinite or RmFailure.InvalidAnswer;

    private async ValueTask<TResponse> AttemptAsync<TRequest, TResponse>(
        Uri endpoint, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType,
        Func<TResponse, string?> check, CancellationToken token, CancellationToken callerToken)
        where TResponse : class
    {
        string outcome = "ok";
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = JsonContent.Create(request, requestType) };
            if (_apiKey is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
            byte[] body;
            HttpStatusCode status;
            try
            {
                using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                status = response.StatusCode;
                body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new RmCallException(RmFailure.Connection, $"cannot reach {endpoint}: {e.Message}", true, e);
            }
            catch (IOException e)
            {
                throw new RmCallException(RmFailure.Connection, $"connection to {endpoint} broke: {e.Message}", true, e);
            }
            if ((int)status is < 200 or > 299)
            {
                bool transient = (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
                throw new RmCallException(transient ? RmFailure.ServerError : RmFailure.ClientError,
                    $"HTTP {(int)status} from {endpoint}: {ErrorText(body)}", transient);
            }
            TResponse? value;
            try
            {
                value = JsonSerializer.Deserialize(body, responseType);
            }
            catch (JsonException e)
            {
                var text = Encoding.UTF8.GetString(body);
                if (BareNonFinite().Match(text) is { Success: true } m)
                    throw new RmCallException(RmFailure.NonFinite, $"{endpoint} answered a non-finite score ({m.Groups[1].Value})", false, e);
                throw new RmCallException(RmFailure.Malformed, $"{endpoint} answered invalid JSON ({e.Message}): {Cut(text)}", false, e);
            }
            if (value is null) throw new RmCallException(RmFailure.Malformed, $"{endpoint} answered null");
            if (check(value) is { } problem) throw new RmCallException(RmFailure.Malformed, $"{endpoint}: {problem}");
            return value;
        }
        catch (RmCallException e)
        {
            outcome = e.Kind;
            throw;
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            outcome = RmFailure.Timeout;
            throw;
        }
        finally
        {
            RmTelemetry.RequestCounter.Add(1, _rmTag, new("outcome", outcome));
        }
    }

    /// <summary>The message of an error body (<c>{"error": {"message"}}</c>, <c>{"message"}</c>, <c>{"detail"}</c>), else its text, cut short.</summary>
    internal static string ErrorText(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var err))
                {
                    if (err.ValueKind == JsonValueKind.Object && err.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) return Cut(m.GetString()!);
                    if (err.ValueKind == JsonValueKind.String) return Cut(err.GetString()!);
                }
                foreach (var name in (string[])["message", "detail"])
                    if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String) return Cut(v.GetString()!);
            }
        }
        catch (JsonException)
        {
        }
        return body.Length == 0 ? "(empty body)" : Cut(Encoding.UTF8.GetString(body));
    }

    private static string Cut(string text)
    {
        var oneLine = text.ReplaceLineEndings(" ").Trim();
        return oneLine.Length <= 300 ? oneLine : oneLine[..297] + "...";
    }

    /// <summary>Python's json writes NaN and Infinity as bare words, which is not JSON.</summary>
    [GeneratedRegex(@"[:\[,]\s*(-?(?:NaN|Infinity))\b")]
    private static partial Regex BareNonFinite();

    public void Dispose()
    {
        _http.Dispose();
        _rate.Dispose();
    }
}
