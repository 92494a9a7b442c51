using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BayesianRouter.Data;
using BayesianRouter.RewardModels.Protocols;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BayesianRouter.RewardModels.Serving;

/// <summary>
/// Serves one RM's recorded judgments (<see cref="RecordedJudgments"/>) over the three RM protocols, with the wire
/// shapes the clients use (<see cref="RmProtocol"/>): <c>POST /classify</c> (vLLM, chat form),
/// <c>POST /get_reward</c> (OpenRLHF) and <c>POST /v1/chat/completions</c> (judge). Text it has no record of is
/// HTTP 404 with a message naming it. Optional latency, seeded random HTTP 500s and a fault mode (<see cref="RmFault"/>,
/// for the whole server or per request by header) make it a test double for RM servers that misbehave.
/// <para>
/// In-process use: <c>await using var server = await RecordedRmServer.StartAsync(record);</c> then call
/// <see cref="Url"/>; disposing stops it. <c>bayesrouter rm-serve</c> is this class behind a command line.
/// </para>
/// </summary>
public sealed class RecordedRmServer : IAsyncDisposable
{
    /// <summary>Request header that sets the fault of one request: none | timeout | 500 | malformed | nan.</summary>
    public const string FaultHeader = "X-Rm-Fault";

    private readonly WebApplication _app;
    private readonly RecordedRmServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Random _failCoin;
    private readonly Dictionary<string, (string Prompt, string Response)> _queries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Prompt, string First, string Second)> _judgeMessages = new(StringComparer.Ordinal);
    private int _fault;
    private long _requests;
    private long _answered;
    private int _inFlight;
    private int _maxInFlight;
    private int _disposed;

    private RecordedRmServer(RecordedJudgments record, RecordedRmServerOptions options, WebApplication app)
    {
        Record = record;
        _options = options;
        _app = app;
        _fault = (int)options.Fault;
        _failCoin = new Random(options.Seed);

        if (record.AllScored)
        {
            var query = RmTemplate.Query(options.QueryTemplate);
            foreach (var (prompt, response) in record.Responses)
                if (!_queries.TryAdd(query.Render(prompt, response), (prompt, response))) AmbiguousQueries++;
        }
        var judge = RmTemplate.Judge(options.JudgeTemplate);
        foreach (var (prompt, a, b, _) in record.Pairs)
        {
            _judgeMessages.TryAdd(judge.Render(prompt, a, b), (prompt, a, b));
            _judgeMessages.TryAdd(judge.Render(prompt, b, a), (prompt, b, a));
        }
    }

    public RecordedJudgments Record { get; }

    /// <summary>The base URL clients call, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The fault every request gets unless its header says otherwise; may be changed while serving.</summary>
    public RmFault Fault
    {
        get => (RmFault)Volatile.Read(ref _fault);
        set => Volatile.Write(ref _fault, (int)value);
    }

    /// <summary>Requests received on the protocol endpoints (retries included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered with HTTP 200 and a well-formed recorded answer.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>The most protocol requests that were being served at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Distinct responses whose openrlhf query text is the same as another's (the first is answered).</summary>
    public int AmbiguousQueries { get; }

    /// <summary>Starts the server and returns once it accepts connections.</summary>
    public static async Task<RecordedRmServer> StartAsync(RecordedJudgments record, RecordedRmServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        options ??= new RecordedRmServerOptions();
        if (options.Port is < 0 or > 65535) throw new ArgumentException($"--port {options.Port} is not a port (0..65535; 0 picks a free one)");
        if (!(options.FailRate is >= 0 and <= 1)) throw new ArgumentException($"--fail-rate {options.FailRate} must be within 0..1");
        if (!(options.LatencyMs >= 0 && double.IsFinite(options.LatencyMs))) throw new ArgumentException($"--latency-ms {options.LatencyMs} must be >= 0");
        var address = options.Host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(options.Host, out var ip) ? ip
            : throw new ArgumentException($"--host \"{options.Host}\" is not an IP address (or localhost)");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(RecordedRmServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, options.Port);
            k.Limits.MaxRequestBodySize = 256L << 20;
        });
        var app = builder.Build();
        var server = new RecordedRmServer(record, options, app);
        server.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : options.Host;
        server.Url = new Uri($"http://{host}:{port}");
        return server;
    }

    /// <summary>Completes when the server stops (<see cref="DisposeAsync"/>, or the token).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    private void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Ok());
        app.MapGet("/", () => Results.Text(
            $"recorded RM \"{Record.Rm}\" ({Record.PairCount} pairs): POST {RmProtocol.ClassifyPath}, {RmProtocol.GetRewardPath}, {RmProtocol.ChatCompletionsPath}\n"));
        app.MapPost(RmProtocol.ClassifyPath, ctx => Serve(ctx, RmProtocol.Json.ClassifyRequest, Classify));
        app.MapPost(RmProtocol.GetRewardPath, ctx => Serve(ctx, RmProtocol.Json.GetRewardRequest, GetReward));
        app.MapPost(RmProtocol.ChatCompletionsPath, ctx => Serve(ctx, RmProtocol.Json.ChatCompletionRequest, Chat));
    }

    /// <summary>An answer: status and body (JSON text).</summary>
    private readonly record struct Answer(int Status, string Body)
    {
        public static Answer Ok<T>(T value, JsonTypeInfo<T> type) => new(200, JsonSerializer.Serialize(value, type));

        public static Answer Error(int status, string type, string message) =>
            new(status, JsonSerializer.Serialize(new ErrorResponse(new ErrorDetail(message, type)), RmProtocol.Json.ErrorResponse));
    }

    private async Task Serve<TRequest>(HttpContext ctx, JsonTypeInfo<TRequest> requestType, Func<TRequest, RmFault, Answer> answer)
    {
        Interlocked.Increment(ref _requests);
        int now = Interlocked.Increment(ref _inFlight);
        for (int seen = Volatile.Read(ref _maxInFlight); now > seen; seen = Volatile.Read(ref _maxInFlight))
            if (Interlocked.CompareExchange(ref _maxInFlight, now, seen) == seen) break;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        try
        {
            var fault = Fault;
            if (ctx.Request.Headers.TryGetValue(FaultHeader, out var header))
            {
                if (!RmFaults.TryParse(header.ToString(), out fault))
                {
                    await Write(ctx, Answer.Error(400, "bad_request", $"{FaultHeader}: \"{header}\" is not one of {string.Join(", ", RmFaults.ByName.Keys)}"));
                    return;
                }
            }
            if (_options.LatencyMs > 0) await Task.Delay(TimeSpan.FromMilliseconds(_options.LatencyMs), cts.Token);
            if (_options.FailRate > 0)
            {
                bool fail;
                lock (_failCoin) fail = _failCoin.NextDouble() < _options.FailRate;
                if (fail)
                {
                    await Write(ctx, Answer.Error(500, "server_error", "injected failure (--fail-rate)"));
                    return;
                }
            }
            switch (fault)
            {
                case RmFault.Timeout:
                    await Task.Delay(_options.HangFor, cts.Token);
                    await Write(ctx, Answer.Error(504, "timeout", "injected timeout"));
                    return;
                case RmFault.ServerError:
                    await Write(ctx, Answer.Error(500, "server_error", "injected failure (fault 500)"));
                    return;
                case RmFault.Malformed:
                    await Write(ctx, new Answer(200, "{\"data\": [{\"index\": 0, \"probs\": [0.5"));
                    return;
            }
            TRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync(ctx.Request.Body, requestType, cts.Token);
            }
            catch (JsonException e)
            {
                await Write(ctx, Answer.Error(400, "bad_request", $"the body is not a valid request: {e.Message}"));
                return;
            }
            var result = request is null ? Answer.Error(400, "bad_request", "the body is null") : answer(request, fault);
            if (result.Status == 200 && fault == RmFault.None) Interlocked.Increment(ref _answered);
            await Write(ctx, result);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // the client gave up or the server is stopping: nobody reads an answer
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static Task Write(HttpContext ctx, Answer answer)
    {
        ctx.Response.StatusCode = answer.Status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(answer.Body, Encoding.UTF8);
    }

    private Answer? NotScalar() => Record.AllScored ? null
        : Answer.Error(400, "bad_request", $"RM \"{Record.Rm}\" has recorded verdicts, not scores: ask it as a judge ({RmProtocol.ChatCompletionsPath})");

    private Answer Classify(ClassifyRequest request, RmFault fault)
    {
        if (NotScalar() is { } refusal) return refusal;
        if (request.Messages is null) return Answer.Error(400, "bad_request", "this server answers the chat form of /classify: give \"messages\"");
        var user = request.Messages.LastOrDefault(m => m.Role == "user");
        var assistant = request.Messages.LastOrDefault(m => m.Role == "assistant");
        if (user is null || assistant is null)
            return Answer.Error(400, "bad_request", "\"messages\" needs a user message (the prompt) and an assistant message (the response)");
        if (!Record.TryGetScore(user.Content, assistant.Content, out var score))
            return Answer.Error(404, "not_found", Record.MissingScore(user.Content, assistant.Content));
        if (fault == RmFault.NaN)
            return new Answer(200, "{\"object\": \"list\", \"data\": [{\"index\": 0, \"probs\": [NaN], \"num_classes\": 1}]}");
        return Answer.Ok(new ClassifyResponse
        {
            Id = $"classify-{Requests}",
            Object = "list",
            Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Model = request.Model ?? Record.Rm,
            Data = [new ClassifyData { Index = 0, Probs = [score], NumClasses = 1 }],
        }, RmProtocol.Json.ClassifyResponse);
    }

    private Answer GetReward(GetRewardRequest request, RmFault fault)
    {
        if (NotScalar() is { } refusal) return refusal;
        if (request.Query is null) return Answer.Error(400, "bad_request", "give \"query\": a list of texts");
        var rewards = new double[request.Query.Count];
        for (int i = 0; i < rewards.Length; i++)
        {
            if (!_queries.TryGetValue(request.Query[i], out var key) || !Record.TryGetScore(key.Prompt, key.Response, out rewards[i]))
                return Answer.Error(404, "not_found",
                    $"query[{i}] \"{RecordedJudgments.Cut(request.Query[i])}\" is no recorded (prompt, response) of RM \"{Record.Rm}\" under the query template");
        }
        if (fault == RmFault.NaN)
            return new Answer(200, "{\"rewards\": [" + string.Join(", ", rewards.Select(_ => "NaN")) + "]}");
        return Answer.Ok(new GetRewardResponse { Rewards = rewards }, RmProtocol.Json.GetRewardResponse);
    }

    private Answer Chat(ChatCompletionRequest request, RmFault fault)
    {
        var user = request.Messages?.LastOrDefault(m => m.Role == "user");
        if (user is null) return Answer.Error(400, "bad_request", "\"messages\" needs a user message");
        if (!_judgeMessages.TryGetValue(user.Content, out var shown))
            return Answer.Error(404, "not_found",
                $"the message is no recorded pair of RM \"{Record.Rm}\" under the judge template: \"{RecordedJudgments.Cut(user.Content)}\"");
        if (!Record.TryGetPair(shown.Prompt, shown.First, shown.Second, out var judgment))
            return Answer.Error(404, "not_found", Record.Missing(new PairText(shown.Prompt, shown.First, shown.Second)));
        var content = fault == RmFault.NaN ? "NaN" : judgment.Prefers() switch
        {
            Preference.A => RmProtocol.FirstAnswer,
            Preference.B => RmProtocol.SecondAnswer,
            _ => null,
        };
        if (content is null)
            return Answer.Error(422, "tie", $"RM \"{Record.Rm}\" recorded a tie on this pair, which a judge's \"0\" or \"1\" cannot say");
        return Answer.Ok(new ChatCompletionResponse
        {
            Id = $"chatcmpl-{Requests}",
            Object = "chat.completion",
            Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Model = request.Model,
            Choices = [new ChatChoice { Index = 0, Message = new ChatMessage("assistant", content), FinishReason = "length" }],
        }, RmProtocol.Json.ChatCompletionResponse);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping.Cancel();
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _stopping.Dispose();
        }
    }
}
