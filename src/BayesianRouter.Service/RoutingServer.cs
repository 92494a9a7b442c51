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
/// <item><c>POST /v1/label</c>: route, label through the pool (<see cref="PoolLabeller"/>, within the request deadline),
/// log, answer in input order. A pair id the log already holds is answered with its logged decision, never a new draw.</item>
/// <item><c>POST /v1/feedback</c>: one training batch of DPO losses or shaped rewards.</item>
/// <item><c>GET /v1/router</c>, <c>GET /healthz</c> (no authentication), <c>GET /metrics</c> (Prometheus text).</item>
/// </list>
/// Every acknowledged decision and feedback item is committed to the log before the response, with the request's
/// <c>Idempotency-Key</c> when it has one, so a retried request gets the answer of its first attempt; the posteriors are
/// checkpointed every <see cref="ServiceOptions.CheckpointEveryBatches"/> feedback batches and at shutdown, and rebuilt
/// on start from the checkpoint and the feedback logged after it (docs/service.md). The server binds its port before it
/// creates or opens the state (a port in use leaves nothing behind) and answers 503 "starting" until the state is
/// recovered.
/// </summary>
public sealed class RoutingServer : IAsyncDisposable
{
    public const string CheckpointFileName = "checkpoint.bin";

    /// <summary>The request header that carries a client's idempotency key.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly WebApplication _app;
    private readonly ServiceOptions _options;
    private readonly byte[]? _expectedAuthorization;
    private readonly InFlightClaims _claims = new();
    private readonly SemaphoreSlim _embedding = new(1, 1);
    private readonly SemaphoreSlim _checkpointing = new(1, 1);
    private SqliteDecisionStore? _store;
    private RoutingSession? _session;
    private PoolLabeller? _labeller;
    private long _lastCheckpointBatch;
    private int _stopped;

    private RoutingServer(WebApplication app, ServiceOptions options, ServiceMetrics metrics)
    {
        _app = app;
        _options = options;
        Metrics = metrics;
        _expectedAuthorization = options.Token is { } t ? Encoding.UTF8.GetBytes("Bearer " + t) : null;
    }

    /// <summary>The session behind the endpoints (set once <see cref="StartAsync"/> returned).</summary>
    public RoutingSession Session => _session ?? throw new InvalidOperationException("the service is still starting");

    private SqliteDecisionStore Store => _store!;

    public ServiceMetrics Metrics { get; }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:5123</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>
    /// Binds the port (an <see cref="IOException"/> when it is in use: nothing is created then), creates or opens the
    /// state, recovers the session (requests meanwhile get 503 "starting"), and returns ready.
    /// </summary>
    public static async Task<RoutingServer> StartAsync(ServiceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var addresses = options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "bayesrouter" });
        builder.Logging.ClearProviders();
        // The host's own start-up failure is reported once, by the caller (e.g. "cannot listen on ...").
        if (options.Log is { } log)
            builder.Logging.AddProvider(new WriterLoggerProvider(log)).SetMinimumLevel(LogLevel.Warning).AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            k.AddServerHeader = false;
            // Each resolved address (a port of 0: the first one only, so the one free port is the service's port).
            foreach (var address in options.Port == 0 ? addresses.Take(1) : addresses) k.Listen(address, options.Port);
        });
        var app = builder.Build();
        RoutingServer? server = null;
        var metrics = new ServiceMetrics(options.Setup.Pool, () => server?._session?.Budget() ?? new BudgetStatus(null, 0, 0, 0, 0, 0));
        server = new RoutingServer(app, options, metrics);
        server.Map();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            throw new IOException($"cannot listen on {options.Host}:{options.Port}: {ListenFailure(e)}", e);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        try
        {
            server.Open();
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>Why Kestrel could not bind, in words (the socket error of the innermost exception).</summary>
    private static string ListenFailure(Exception e)
    {
        for (var x = (Exception?)e; x != null; x = x.InnerException)
            if (x is System.Net.Sockets.SocketException s)
                return s.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.AddressAlreadyInUse => "the address is already in use (another process listens there)",
                    System.Net.Sockets.SocketError.AddressNotAvailable => "the address is not one of this machine's",
                    System.Net.Sockets.SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                    _ => s.Message,
                };
        return e.Message;
    }

    /// <summary>Creates or opens the state and recovers the session: the endpoints answer from here on.</summary>
    private void Open()
    {
        Directory.CreateDirectory(_options.StateDirectory);
        var store = SqliteDecisionStore.Open(_options.StateDirectory, _options.Durability);
        try
        {
            var session = RoutingSession.Open(_options.Setup, store, _options.Session, Path.Combine(_options.StateDirectory, CheckpointFileName));
            _labeller = new PoolLabeller(_options.RewardModels, new PoolLabellerOptions
            {
                MaxConcurrency = _options.MaxConcurrency, OnCall = Metrics.OnRmCall, Deadline = _options.RequestDeadline,
            });
            _lastCheckpointBatch = session.FeedbackBatches;
            _store = store;
            Metrics.Registry.AddBeforeCollectCallback(() =>
            {
                Metrics.LogCommits.Set(store.Commits);
                Metrics.LogWrites.Set(store.Writes);
            });
            Volatile.Write(ref _session, session);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            var clock = Stopwatch.StartNew();
            string endpoint = context.Request.Path.Value switch
            {
                "/v1/label" or "/v1/feedback" or "/v1/router" or "/healthz" or "/metrics" or "/get_reward" or "/v1/rewards" => context.Request.Path.Value!,
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
                if (Volatile.Read(ref _session) is null && endpoint != "/metrics")
                {
                    context.Response.Headers.RetryAfter = "1";
                    if (endpoint == "/healthz") await Results.Json(new { status = "starting" }, statusCode: 503).ExecuteAsync(context);
                    else await Problem(context, 503, "starting", "the service is recovering its state; retry in a moment", null);
                    return;
                }
                await next(context);
            }
            catch (BodyCutShortException e)
            {
                WriteLog($"warning: {endpoint}: {e.Message}; nothing of it was done");
                if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
                    await Problem(context, 400, "incomplete body", e.Message, "$");
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                WriteLog($"error: {endpoint}: the request failed ({e.GetType().Name}: {e.Message})");
                await Problem(context, 500, "internal error", "the service could not complete this request (its log says why); nothing was acknowledged", null);
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
        var rewards = new Rewards.RewardEndpoints(this, _options.Rewards, _options.RewardModels, Metrics.OnRmCall); // docs/integrations.md
        _app.MapPost("/get_reward", rewards.Handle);
        _app.MapPost("/v1/rewards", rewards.Handle);
        _app.MapGet("/healthz", (HttpContext c) =>
        {
            if (!Session.IsFaulted) return Results.Json(new { status = "ok" });
            c.Response.Headers.RetryAfter = "5";
            return Results.Json(new { status = "failed", detail = "the decision log could not be written; restart the service" }, statusCode: 503);
        });
        _app.MapMetrics("/metrics", Metrics.Registry);
    }

    /// <summary>One line to the log (the same lock as the host's logger: a writer may not be thread-safe).</summary>
    private void WriteLog(string line)
    {
        if (_options.Log is { } log)
            lock (log) log.WriteLine(line);
    }

    private bool Authorised(HttpRequest request)
    {
        if (_expectedAuthorization is null) return true;
        var header = request.Headers.Authorization.ToString();
        var got = Encoding.UTF8.GetBytes(header);
        return CryptographicOperations.FixedTimeEquals(got, _expectedAuthorization);
    }

    /// <summary>Reads the body and parses it with <paramref name="parse"/>; on bad input answers 400/413 and returns false.</summary>
    internal async Task<(bool Ok, T Value)> ReadRequest<T>(HttpContext context, Func<JsonElement, T> parse)
    {
        byte[] bytes;
        try
        {
            bytes = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Problem(context, 413, "request too large", $"the body exceeds the limit of {_options.MaxRequestBytes} bytes", null);
            return (false, default!);
        }
        try
        {
            using var body = RequestBody.Parse(bytes);
            return (true, parse(body.RootElement));
        }
        catch (Exception e) when (e is RequestFieldException or BatchTooLargeException)
        {
            await FieldProblem(context, e);
            return (false, default!);
        }
    }

    /// <summary>The request's idempotency key: absent (null), or 1 to 255 visible ASCII characters (else 400).</summary>
    private async Task<(bool Ok, string? Key)> ReadKey(HttpContext context)
    {
        if (!context.Request.Headers.TryGetValue(IdempotencyKeyHeader, out var values)) return (true, null);
        var key = values.Count == 1 ? values[0] : null;
        if (key is { Length: >= 1 and <= 255 } && key.All(c => c is > ' ' and <= '~')) return (true, key);
        await Problem(context, 400, "invalid idempotency key", $"the {IdempotencyKeyHeader} header must be one value of 1 to 255 visible ASCII characters (e.g. a UUID)", IdempotencyKeyHeader);
        return (false, null);
    }

    /// <summary>
    /// A key logged for another request (another endpoint, or other content) is a 422; true when the request may go on.
    /// </summary>
    private async Task<bool> CheckKey(HttpContext context, SqliteDecisionStore.StoredKey? stored, string key, string endpoint, string digest)
    {
        if (stored is null || (stored.Endpoint == endpoint && stored.Digest == digest)) return true;
        await Problem(context, 422, "idempotency key reused",
            stored.Endpoint != endpoint
                ? $"the {IdempotencyKeyHeader} \"{key}\" was used for a request to {stored.Endpoint}: send a new key with every new request"
                : $"the {IdempotencyKeyHeader} \"{key}\" was used for a request with other content: a retry must send the same body, a new request a new key",
            IdempotencyKeyHeader);
        return false;
    }

    private async Task Label(HttpContext context)
    {
        var (ok, pairs) = await ReadRequest(context, root => RequestParsing.LabelRequest(root, _options.MaxPairsPerRequest));
        if (!ok) return;
        var (keyOk, key) = await ReadKey(context);
        if (!keyOk) return;
        string digest = key is null ? "" : RequestParsing.Digest(pairs);
        var names = pairs.Select(p => "pair:" + p.Id).ToList();
        if (key != null) names.Add("key:" + key);
        LabelledDecision[] answer;
        try
        {
            // One request at a time per pair id (and key): a retry that arrives while its first attempt is still being
            // answered waits for it, then finds its decisions in the log.
            using var claim = await _claims.AcquireAsync(names, context.RequestAborted);
            if (key != null && !await CheckKey(context, Store.FindKey(key), key, "/v1/label", digest)) return;
            var logged = Store.FindByPairIds(pairs.Select(p => p.Id).ToArray());
            answer = new LabelledDecision[pairs.Count];
            var fresh = new List<int>();
            for (int i = 0; i < pairs.Count; i++)
            {
                if (!logged.TryGetValue(pairs[i].Id, out var entry))
                {
                    fresh.Add(i);
                    continue;
                }
                var (d, p) = (entry.Decision, pairs[i]);
                bool sameTexts = d.TextsDigest is null || d.TextsDigest == Decision.DigestTexts(new RewardModels.PairText(p.Prompt, p.ResponseA, p.ResponseB));
                if (!sameTexts || d.Domain != p.Domain || (d.Group != null && d.Group != p.Group))
                {
                    await Problem(context, 409, "pair id already used",
                        $"pair id \"{p.Id}\" was decided before for another pair (other {(!sameTexts ? "texts" : d.Domain != p.Domain ? "domain" : "group")}, decision {d.DecisionId}): a pair id names one pair for the life of the state; send new pairs under new ids",
                        $"pairs[{i}].id");
                    return;
                }
                answer[i] = new LabelledDecision(d, entry.Label);
            }
            if (fresh.Count > 0)
            {
                var features = await Features(fresh.Select(i => pairs[i]).ToArray(), context.RequestAborted);
                var toLabel = fresh.Select((i, k) => new PairToLabel(pairs[i].Id, features[k],
                    new RewardModels.PairText(pairs[i].Prompt, pairs[i].ResponseA, pairs[i].ResponseB), pairs[i].Domain, pairs[i].Group)).ToArray();
                var labelled = await Session.LabelRequestAsync(toLabel, _labeller!, key is null ? null : new RequestKey(key, "/v1/label", digest), context.RequestAborted);
                Metrics.OnLabelled(labelled);
                for (int k = 0; k < fresh.Count; k++) answer[fresh[k]] = labelled[k];
            }
            if (fresh.Count < pairs.Count) Metrics.AnsweredFromLog.Inc(pairs.Count - fresh.Count);
        }
        catch (SessionFaultedException e)
        {
            context.Response.Headers.RetryAfter = "5";
            await Problem(context, 503, "decision log failed", e.Message, null);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away: nothing was logged for this request, nothing to answer
        }
        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteStartArray("labels");
        for (int i = 0; i < answer.Length; i++) WriteLabel(w, pairs[i].Id, answer[i]);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteLabel(Utf8JsonWriter w, string pairId, LabelledDecision labelled)
    {
        var (d, l) = labelled;
        w.WriteStartObject();
        w.WriteString("id", pairId);
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

    /// <summary>
    /// Embeds the pairs and computes h. A concurrent embedder (<see cref="Features.IConcurrentPairEmbedder"/>: the shared,
    /// batched encoder) takes every request at once; any other embedder one request at a time.
    /// </summary>
    internal async Task<double[][]> Features(IReadOnlyList<LabelPair> pairs, CancellationToken cancellationToken)
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
        var (keyOk, key) = await ReadKey(context);
        if (!keyOk) return;
        FeedbackResult result;
        try
        {
            if (key is null) result = await Session.LearnAsync(items);
            else
            {
                string digest = RequestParsing.Digest(items);
                // A retry waits for its first attempt; when that one was logged, its answer is rebuilt from the log.
                using var claim = await _claims.AcquireAsync(["key:" + key], context.RequestAborted);
                var stored = Store.FindKey(key);
                if (!await CheckKey(context, stored, key, "/v1/feedback", digest)) return;
                if (stored?.Batch is { } batch)
                {
                    result = Replayed(items, batch);
                    Metrics.Replays.WithLabels("/v1/feedback").Inc();
                }
                else
                {
                    result = await Session.LearnAsync(items, new RequestKey(key, "/v1/feedback", digest));
                    Metrics.OnFeedback(result);
                }
            }
            if (key is null) Metrics.OnFeedback(result);
        }
        catch (SessionFaultedException e)
        {
            context.Response.Headers.RetryAfter = "5";
            await Problem(context, 503, "decision log failed", e.Message, null);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        await Results.Json(new Dictionary<string, object>
        {
            ["accepted"] = result.Accepted, ["unknown"] = result.Unknown, ["duplicate"] = result.Duplicate, ["unlabelled"] = result.Unlabelled,
        }).ExecuteAsync(context);
        if (Session.FeedbackBatches - Interlocked.Read(ref _lastCheckpointBatch) >= _options.CheckpointEveryBatches) _ = CheckpointAsync();
    }

    /// <summary>
    /// The answer a feedback request got when its batch <paramref name="batch"/> was logged, rebuilt from the log: an
    /// item is accepted when its decision's feedback is in that batch (its first mention), unknown when no such decision
    /// was logged, unlabelled when no RM labelled it, a duplicate otherwise.
    /// </summary>
    private FeedbackResult Replayed(IReadOnlyList<FeedbackItem> items, long batch)
    {
        var sequences = items.Select(i => SequenceOf(i.DecisionId)).ToArray();
        var known = sequences.Where(s => s.HasValue).Select(s => s!.Value).Distinct().ToArray();
        var found = Store.FindDecisions(known);
        var batches = Store.FeedbackBatchesOf(known);
        var seen = new HashSet<long>();
        List<string> unknown = [], duplicate = [], unlabelled = [];
        int accepted = 0;
        for (int i = 0; i < items.Count; i++)
        {
            if (sequences[i] is not { } seq || !found.TryGetValue(seq, out var d)) unknown.Add(items[i].DecisionId);
            else if (!seen.Add(seq)) duplicate.Add(items[i].DecisionId);
            else if (batches.TryGetValue(seq, out var b) && b == batch) accepted++;
            else if (d.LabelArm is null) unlabelled.Add(items[i].DecisionId);
            else duplicate.Add(items[i].DecisionId);
        }
        return new FeedbackResult(accepted, unknown, duplicate, unlabelled);
    }

    /// <summary>The sequence number of one of this state's decision ids ("{instance}-{sequence}"), or null.</summary>
    private long? SequenceOf(string decisionId)
    {
        var prefix = Session.InstanceId + "-";
        if (!decisionId.StartsWith(prefix, StringComparison.Ordinal) || decisionId.Length == prefix.Length) return null;
        var digits = decisionId.AsSpan(prefix.Length);
        foreach (var c in digits) if (c is < '0' or > '9') return null;
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : null;
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
            WriteLog($"warning: checkpoint failed ({e.Message}); the decision log still holds every acknowledged write");
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

    internal static Task Problem(HttpContext context, int status, string title, string detail, string? field)
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
        Store.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// For tests of recovery: stops as <c>kill -9</c> leaves the state (no last checkpoint; what was acknowledged is in
    /// the log, as it is after a real crash), so the next start replays the feedback logged since the last checkpoint.
    /// </summary>
    internal async Task CrashAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await _checkpointing.WaitAsync(); // a checkpoint being written finishes first: the process would not stop half-way through a rename
        await _app.StopAsync();
        await _app.DisposeAsync();
        Metrics.Dispose();
        Store.Dispose();
    }

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
