using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
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

/// <summary>How a <see cref="ScorerRmServer"/> listens.</summary>
public sealed record ScorerRmServerOptions
{
    /// <summary>The address to bind: an IP address or "localhost" (loopback by default; never exposed unless asked).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (read it from <see cref="ScorerRmServer.Url"/>).</summary>
    public int Port { get; init; }

    /// <summary>
    /// The openrlhf query template the clients use, to find the prompt and the response of a query; it must put a
    /// non-empty separator between <c>{prompt}</c> and <c>{response}</c> (e.g. <c>"{prompt}\n{response}"</c>), and a
    /// prompt must not contain it (the first occurrence splits). Null: <c>/get_reward</c> is refused (use <c>/classify</c>).
    /// </summary>
    public string? QueryTemplate { get; init; }
}

/// <summary>
/// Serves a live scalar RM (any <see cref="IRewardScorer"/>: one computed, not recorded, score per (prompt, response))
/// over the scorer protocols with the wire shapes the clients use (<see cref="RmProtocol"/>): vLLM's
/// <c>POST /classify</c> in the chat form (user = prompt, assistant = response) and, with a query template that
/// separates prompt and response, OpenRLHF's <c>POST /get_reward</c>. A scalar RM is no pairwise judge:
/// <c>/v1/chat/completions</c> answers 400. A score the RM cannot give (not finite) is HTTP 404 naming the text, so
/// the client records a failed judgment, never a label. <c>bayesrouter rm-serve --task</c> is this class behind a
/// command line; <see cref="RecordedRmServer"/> serves recorded judgments instead.
/// </summary>
public sealed class ScorerRmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IRewardScorer _scorer;
    private readonly Regex? _query;
    private long _requests;
    private int _disposed;

    private ScorerRmServer(IRewardScorer scorer, Regex? query, WebApplication app)
    {
        _scorer = scorer;
        _query = query;
        _app = app;
    }

    /// <summary>The RM's name.</summary>
    public string Name => _scorer.Name;

    /// <summary>The base URL clients call, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Requests received on the protocol endpoints.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Starts the server and returns once it accepts connections.</summary>
    /// <exception cref="ArgumentException">A bad port or host, or a query template that does not separate {prompt} and {response}.</exception>
    public static async Task<ScorerRmServer> StartAsync(IRewardScorer scorer, ScorerRmServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        options ??= new ScorerRmServerOptions();
        if (options.Port is < 0 or > 65535) throw new ArgumentException($"--port {options.Port} is not a port (0..65535; 0 picks a free one)");
        var address = options.Host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(options.Host, out var ip) ? ip
            : throw new ArgumentException($"--host \"{options.Host}\" is not an IP address (or localhost)");
        var query = options.QueryTemplate is { } t ? QueryPattern(t) : null;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ScorerRmServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, options.Port);
            k.Limits.MaxRequestBodySize = 256L << 20;
        });
        var app = builder.Build();
        var server = new ScorerRmServer(scorer, query, app);
        server.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : options.Host;
        server.Url = new Uri($"http://{host}:{new Uri(bound).Port}");
        return server;
    }

    /// <summary>
    /// The query template as a pattern that recovers prompt and response: the literal text around the placeholders
    /// must be matched exactly, and a non-empty separator must stand between them (the first occurrence splits).
    /// </summary>
    internal static Regex QueryPattern(string template)
    {
        var missing = RmTemplate.Missing(template, RmTemplate.QueryPlaceholders);
        if (missing.Count > 0) throw new ArgumentException($"--query-template lacks {string.Join(", ", missing.Select(m => "{" + m + "}"))}");
        int p = template.IndexOf("{prompt}", StringComparison.Ordinal), r = template.IndexOf("{response}", StringComparison.Ordinal);
        if (r < p || r == p + "{prompt}".Length)
            throw new ArgumentException("--query-template must put {prompt} before {response} with some text between them (e.g. \"{prompt}\\n{response}\"), so that a served scorer can split a query");
        string Lit(string s) => Regex.Escape(s);
        return new Regex("^" + Lit(template[..p]) + "(?<prompt>.*?)" + Lit(template[(p + "{prompt}".Length)..r]) + "(?<response>.*)" +
                         Lit(template[(r + "{response}".Length)..]) + "$", RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Ok());
        app.MapGet("/", () => Results.Text($"scalar RM \"{Name}\": POST {RmProtocol.ClassifyPath}{(_query is null ? "" : $", {RmProtocol.GetRewardPath}")}\n"));
        app.MapPost(RmProtocol.ClassifyPath, ctx => Serve(ctx, RmProtocol.Json.ClassifyRequest, Classify));
        app.MapPost(RmProtocol.GetRewardPath, ctx => Serve(ctx, RmProtocol.Json.GetRewardRequest, GetReward));
        app.MapPost(RmProtocol.ChatCompletionsPath, ctx => Write(ctx, Error(400, "bad_request",
            $"RM \"{Name}\" is a scalar RM, not a pairwise judge: ask {RmProtocol.ClassifyPath}")));
    }

    private async Task Serve<TRequest>(HttpContext ctx, JsonTypeInfo<TRequest> requestType, Func<TRequest, CancellationToken, Task<(int Status, string Body)>> answer)
    {
        Interlocked.Increment(ref _requests);
        TRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(ctx.Request.Body, requestType, ctx.RequestAborted);
        }
        catch (JsonException e)
        {
            await Write(ctx, Error(400, "bad_request", $"the body is not a valid request: {e.Message}"));
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await Write(ctx, request is null ? Error(400, "bad_request", "the body is null") : await answer(request, ctx.RequestAborted));
    }

    private async Task<(int, string)> Classify(ClassifyRequest request, CancellationToken ct)
    {
        var user = request.Messages?.LastOrDefault(m => m.Role == "user");
        var assistant = request.Messages?.LastOrDefault(m => m.Role == "assistant");
        if (user is null || assistant is null)
            return Error(400, "bad_request", "\"messages\" needs a user message (the prompt) and an assistant message (the response)");
        var scores = await _scorer.ScoreAsync([new ResponseText(user.Content, assistant.Content)], ct);
        if (scores.Count != 1 || !double.IsFinite(scores[0]))
            return Error(404, "not_found", $"RM \"{Name}\" gives no score for the prompt \"{RecordedJudgments.Cut(user.Content)}\" and response \"{RecordedJudgments.Cut(assistant.Content)}\"");
        return (200, JsonSerializer.Serialize(new ClassifyResponse
        {
            Id = $"classify-{Requests}",
            Object = "list",
            Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Model = request.Model ?? Name,
            Data = [new ClassifyData { Index = 0, Probs = [scores[0]], NumClasses = 1 }],
        }, RmProtocol.Json.ClassifyResponse));
    }

    private async Task<(int, string)> GetReward(GetRewardRequest request, CancellationToken ct)
    {
        if (_query is null)
            return Error(400, "bad_request", $"RM \"{Name}\" was served without a query template that separates prompt and response: ask {RmProtocol.ClassifyPath}");
        if (request.Query is null) return Error(400, "bad_request", "give \"query\": a list of texts");
        var items = new ResponseText[request.Query.Count];
        for (int i = 0; i < items.Length; i++)
        {
            var m = _query.Match(request.Query[i]);
            if (!m.Success) return Error(400, "bad_request", $"query[{i}] \"{RecordedJudgments.Cut(request.Query[i])}\" does not follow the query template");
            items[i] = new ResponseText(m.Groups["prompt"].Value, m.Groups["response"].Value);
        }
        var scores = await _scorer.ScoreAsync(items, ct);
        for (int i = 0; i < items.Length; i++)
            if (i >= scores.Count || !double.IsFinite(scores[i]))
                return Error(404, "not_found", $"RM \"{Name}\" gives no score for query[{i}] \"{RecordedJudgments.Cut(request.Query[i])}\"");
        return (200, JsonSerializer.Serialize(new GetRewardResponse { Rewards = scores.Take(items.Length).ToArray() }, RmProtocol.Json.GetRewardResponse));
    }

    private static (int, string) Error(int status, string type, string message) =>
        (status, JsonSerializer.Serialize(new ErrorResponse(new ErrorDetail(message, type)), RmProtocol.Json.ErrorResponse));

    private static Task Write(HttpContext ctx, (int Status, string Body) answer)
    {
        ctx.Response.StatusCode = answer.Status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(answer.Body, Encoding.UTF8);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
