using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BayesianRouter.Data;
using BayesianRouter.Live;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace BayesianRouter.Service;

/// <summary>
/// The routing service (<c>bayesrouter serve</c>): ASP.NET Core minimal APIs on Kestrel over a
/// <see cref="RoutingSession"/> whose log is a <see cref="SqliteDecisionStore"/> under the state folder.
/// <list type="bullet">
/// <item><c>POST /v1/label</c>: route, label through the pool (<see cref="PoolLabeller"/>), log, answer in input order.</item>
/// <item><c>POST /v1/feedback</c>: one training batch of DPO losses or shaped rewards.</item>
/// <item><c>GET /v1/router</c>, <c>GET /healthz</c> (no authentication), <c>GET /metrics</c> (Prometheus text).</item>
/// </list>
/// Every acknowledged decision and feedback item is committed to the log before the response; the posteriors are
/// checkpointed every <see cref="ServiceOptions.CheckpointEveryBatches"/> feedback batches and at shutdown, and rebuilt
/// on start from the checkpoint and the feedback logged after it (docs/service.md).
/// </summary>
public sealed class RoutingServer : IAsyncDisposable
{
    public const string CheckpointFileName = "checkpoint.bin";

    private readonly WebApplication _app;
    private readonly ServiceOptions _options;
    private readonly SqliteDecisionStore _store;
    private readonly PoolLabeller _labeller;
    private readonly SemaphoreSlim _embedding = new(1, 1);
    private readonly SemaphoreSlim _checkpointing = new(1, 1);
    private readonly byte[]? _expectedAuthorization;
    private long _lastCheckpointBatch;
    private int _stopped;

    private RoutingServer(WebApplication app, ServiceOptions options, SqliteDecisionStore store, RoutingSession session, ServiceMetrics metrics)
    {
        _app = app;
        _options = options;
        _store = store;
        Session = session;
        Metrics = metrics;
        _labeller = new PoolLabeller(options.RewardModels, new PoolLabellerOptions { MaxConcurrency = options.MaxConcurrency, OnCall = metrics.OnRmCall });
        _expectedAuthorization = options.Token is { } t ? Encoding.UTF8.GetBytes("Bearer " + t) : null;
        _lastCheckpointBatch = session.FeedbackBatches;
    }

    /// <summary>The session behind the endpoints.</summary>
    public RoutingSession Session { get; }

    public ServiceMetrics Metrics { get; }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:5123</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Opens the state, recovers the session, and starts listening.</summary>
    public static async Task<RoutingServer> StartAsync(ServiceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(options.StateDirectory);
        var store = SqliteDecisionStore.Open(options.StateDirectory, options.Durability);
        RoutingSession session;
        try
        {
            session = RoutingSession.Open(options.Setup, store, options.Session, Path.Combine(options.StateDirectory, CheckpointFileName));
        }
        catch
        {
            store.Dispose();
            throw;
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "bayesrouter" });
        builder.Logging.ClearProviders();
        if (options.Log is { } log) builder.Logging.AddProvider(new WriterLoggerProvider(log)).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            k.AddServerHeader = false;
        });
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        var app = builder.Build();
        var metrics = new ServiceMetrics(options.Setup.Pool, session.Budget);
        var server = new RoutingServer(app, options, store, session, metrics);
        server.Map();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            store.Dispose();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            var clock = Stopwatch.StartNew();
            string endpoint = context.Request.Path.Value switch
            {
                "/v1/label" or "/v1/feedback" or "/v1/router" or "/healthz" or "/metrics" => context.Request.Path.Value!,
                _ => "other",
            };
            try
            {
                if (endpoint != "/healthz" && !Authorised(context.Request))
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await Problem(context, 401, "unauthorised", "this endpoint needs the header \"Authorization: Bearer <token>\" with the service's token", null);
                    return;
                }
                await next(context);
            }
            finally
            {
                Metrics.Requests.WithLabels(endpoint, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
                Metrics.RequestSeconds.WithLabels(endpoint).Observe(clock.Elapsed.TotalSeconds);
            }
        });
        _app.MapPost("/v1/label", Label);
        _app.MapPost("/v1/feedback", Feedback);
        _app.MapGet("/v1/router", RouterState);
        _app.MapGet("/healthz", (HttpContext c) => Session.IsFaulted
            ? Results.Json(new { status = "failed", detail = "the decision log could not be written; restart the service" }, statusCode: 503)
            : Results.Json(new { status = "ok" }));
        _app.MapMetrics("/metrics", Metrics.Registry);
    }

    private bool Authorised(HttpRequest request)
    {
        if (_expectedAuthorization is null) return true;
        var header = request.Headers.Authorization.ToString();
        var got = Encoding.UTF8.GetBytes(header);
        return CryptographicOperations.FixedTimeEquals(got, _expectedAuthorization);
    }

    /// <summary>Reads and parses a JSON body; a malformed or too large body becomes the right problem response.</summary>
    private async Task<JsonDocument?> ReadBody(HttpContext context)
    {
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow },
                context.RequestAborted);
        }
        catch (JsonException e)
        {
            await Problem(context, 400, "malformed JSON", $"the body is not valid JSON ({e.Message})", e.Path is { Length: > 0 } p ? p : "$");
            return null;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Problem(context, 413, "request too large", $"the body exceeds the limit of {_options.MaxRequestBytes} bytes", null);
            return null;
        }
    }

    /// <summary>Reads the body and parses it with <paramref name="parse"/>; on bad input answers 400/413 and returns false.</summary>
    private async Task<(bool Ok, T Value)> ReadRequest<T>(HttpContext context, Func<JsonElement, T> parse)
    {
        using var body = await ReadBody(context);
        if (body is null) return (false, default!);
        try
        {
            return (true, parse(body.RootElement));
        }
        catch (Exception e) when (e is RequestFieldException or BatchTooLargeException)
        {
            await FieldProblem(context, e);
            return (false, default!);
        }
    }

    private async Task Label(HttpContext context)
    {
        var (ok, pairs) = await ReadRequest(context, root => RequestParsing.LabelRequest(root, _options.MaxPairsPerRequest));
        if (!ok) return;
        IReadOnlyList<LabelledDecision> labelled;
        try
        {
            var features = await Features(pairs, context.RequestAborted);
            var toLabel = new PairToLabel[pairs.Count];
            for (int i = 0; i < pairs.Count; i++)
                toLabel[i] = new PairToLabel(pairs[i].Id, features[i], new RewardModels.PairText(pairs[i].Prompt, pairs[i].ResponseA, pairs[i].ResponseB),
                    pairs[i].Domain, pairs[i].Group);
            labelled = await Session.LabelAsync(toLabel, _labeller, context.RequestAborted);
        }
        catch (SessionFaultedException e)
        {
            await Problem(context, 503, "decision log failed", e.Message, null);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away: nothing was logged for this request, nothing to answer
        }
        Metrics.OnLabelled(labelled);
        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteStartArray("labels");
        for (int i = 0; i < labelled.Count; i++)
        {
            var (d, l) = labelled[i];
            w.WriteStartObject();
            w.WriteString("id", pairs[i].Id);
            w.WriteString("decision_id", d.DecisionId);
            if (l.Rm is null) w.WriteNull("rm");
            else w.WriteString("rm", l.Rm);
            if (l.Preferred is { } p) w.WriteString("preferred", p.ToText());
            else w.WriteNull("preferred");
            if (l.Judgment is { IsScored: true } j)
            {
                w.WriteNumber("score_a", j.ScoreA!.Value);
                w.WriteNumber("score_b", j.ScoreB!.Value);
            }
            if (l.FallbackFrom.Count > 0)
            {
                w.WriteStartArray("fallback_from");
                foreach (var f in l.FallbackFrom) w.WriteStringValue(f.Rm);
                w.WriteEndArray();
            }
            if (l.Error != null) w.WriteString("error", l.Error);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Embeds the pairs and computes h. A concurrent embedder (<see cref="Features.IConcurrentPairEmbedder"/>: the shared,
    /// batched encoder) takes every request at once; any other embedder one request at a time.
    /// </summary>
    private async Task<double[][]> Features(IReadOnlyList<LabelPair> pairs, CancellationToken cancellationToken)
    {
        var asPairs = pairs.Select(p => new PreferencePair { Id = p.Id, Group = p.Group, Prompt = p.Prompt, ResponseA = p.ResponseA, ResponseB = p.ResponseB, Domain = p.Domain }).ToArray();
        IReadOnlyList<Features.PairEmbedding> embeddings;
        if (_options.Embedder is Features.IConcurrentPairEmbedder shared) embeddings = await shared.EmbedAsync(asPairs, cancellationToken);
        else
        {
            await _embedding.WaitAsync(cancellationToken);
            try
            {
                embeddings = _options.Embedder.Embed(asPairs);
            }
            finally
            {
                _embedding.Release();
            }
        }
        var features = new double[pairs.Count][];
        for (int i = 0; i < features.Length; i++) features[i] = Session.Features(embeddings[i], pairs[i].Domain);
        return features;
    }

    private async Task Feedback(HttpContext context)
    {
        var (ok, items) = await ReadRequest(context, root => RequestParsing.FeedbackRequest(root, _options.MaxFeedbackPerRequest));
        if (!ok) return;
        FeedbackResult result;
        try
        {
            result = await Session.LearnAsync(items);
        }
        catch (SessionFaultedException e)
        {
            await Problem(context, 503, "decision log failed", e.Message, null);
            return;
        }
        Metrics.OnFeedback(result);
        await Results.Json(new Dictionary<string, object>
        {
            ["accepted"] = result.Accepted, ["unknown"] = result.Unknown, ["duplicate"] = result.Duplicate, ["unlabelled"] = result.Unlabelled,
        }).ExecuteAsync(context);
        if (Session.FeedbackBatches - Interlocked.Read(ref _lastCheckpointBatch) >= _options.CheckpointEveryBatches) _ = CheckpointAsync();
    }

    private IResult RouterState()
    {
        var s = Session.Statistics();
        return Results.Json(new Dictionary<string, object?>
        {
            ["pool"] = s.Pool,
            ["decisions"] = s.Decisions,
            ["feedback"] = s.Feedback,
            ["rms"] = s.Rms.ToDictionary(r => r.Rm, r => new Dictionary<string, object?>
            {
                ["decisions"] = r.Labelled, ["chosen"] = r.Chosen, ["feedback"] = r.Feedback, ["mean_reward"] = r.MeanReward,
            }),
            ["unlabelled"] = s.Unlabelled,
            ["budget"] = BudgetJson(Session.Budget()),
            ["feedback_batches"] = Session.FeedbackBatches,
            ["learned_state_sha256"] = Session.LearnedStateDigest(),
        });
    }

    /// <summary>The spending part of <c>GET /v1/router</c> (docs/service.md).</summary>
    private static Dictionary<string, object?> BudgetJson(BudgetStatus b) => new()
    {
        ["budget_per_pair"] = b.Budget,
        ["spend"] = b.Spend,
        ["pairs"] = b.Pairs,
        ["mean_cost_per_pair"] = b.MeanCost,
        ["fallback_spend"] = b.FallbackSpend,
        ["price"] = b.Price,
    };

    /// <summary>
    /// Writes a checkpoint now; one at a time: when one is being written, returns at once, or with
    /// <paramref name="wait"/> waits for it and writes another. A failure is logged, never thrown (the log still has everything).
    /// </summary>
    public async Task CheckpointAsync(bool wait = false)
    {
        if (wait) await _checkpointing.WaitAsync();
        else if (!await _checkpointing.WaitAsync(0)) return;
        try
        {
            long batch = Session.FeedbackBatches;
            await Session.SaveCheckpointAsync(Path.Combine(_options.StateDirectory, CheckpointFileName));
            Interlocked.Exchange(ref _lastCheckpointBatch, batch);
        }
        catch (Exception e)
        {
            _options.Log?.WriteLine($"warning: checkpoint failed ({e.Message}); the decision log still holds every acknowledged write");
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    private static Task FieldProblem(HttpContext context, Exception e) => e switch
    {
        BatchTooLargeException big => Problem(context, 413, "batch too large", big.Message, big.Field),
        RequestFieldException f => Problem(context, 400, "invalid request", f.Message, f.Field),
        _ => throw e,
    };

    private static Task Problem(HttpContext context, int status, string title, string detail, string? field)
    {
        var extensions = new Dictionary<string, object?>();
        if (field != null) extensions["field"] = field;
        return Results.Problem(detail, statusCode: status, title: title, extensions: extensions).ExecuteAsync(context);
    }

    /// <summary>Waits until the host is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancellationToken"/> fires.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        var lifetime = _app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        using var b = cancellationToken.Register(() => stopping.TrySetResult());
        await stopping.Task.ConfigureAwait(false);
    }

    /// <summary>Stops listening, writes a final checkpoint and closes the log.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await _app.StopAsync();
        if (!Session.IsFaulted) await CheckpointAsync(wait: true);
        await _app.DisposeAsync();
        Metrics.Dispose();
        _store.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Writes warnings and errors of the host as single lines (never headers or bodies).</summary>
    private sealed class WriterLoggerProvider(TextWriter writer) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new WriterLogger(writer, categoryName);
        public void Dispose() { }

        private sealed class WriterLogger(TextWriter writer, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                lock (writer) writer.WriteLine($"{logLevel.ToString().ToLowerInvariant()}: {category}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
            }
        }
    }
}
