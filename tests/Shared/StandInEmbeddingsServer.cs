using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BayesianRouter.TestSupport;

/// <summary>
/// (Shared by the encoder and CLI tests: linked into both projects.)
/// A stand-in for an OpenAI-compatible embeddings server (TEI, vLLM, Infinity) on 127.0.0.1 and a free port:
/// <c>POST /v1/embeddings</c> with <c>{"input": [texts], "model", "encoding_format": "float"}</c> answers
/// <c>{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}</c>, each text
/// embedded as a server does (the whole text tokenized, cut only at its own limit) by the model it is given (a function
/// of the texts, so this file needs no encoder project: the tests pass their model's <c>Encode</c>).
/// <see cref="Fault"/> may answer instead (a status code, a delay, a malformed body) by request number.
/// </summary>
public sealed class StandInEmbeddingsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private StandInEmbeddingsServer(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Requests received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Called with the request's number (1, 2, ...): a result to answer instead of the embeddings, or null.</summary>
    public Func<int, Task<IResult?>>? Fault { get; set; }

    public static async Task<StandInEmbeddingsServer> StartAsync(Func<IReadOnlyList<string>, float[][]> model)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new StandInEmbeddingsServer(app);
        app.MapPost("/v1/embeddings", async (HttpContext context) =>
        {
            int n = Interlocked.Increment(ref server._requests);
            if (server.Fault is { } fault && await fault(n) is { } answer) return answer;
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var input = body.RootElement.GetProperty("input");
            var texts = input.ValueKind == JsonValueKind.String ? [input.GetString()!] : input.EnumerateArray().Select(e => e.GetString()!).ToArray();
            var vectors = model(texts);
            return Results.Json(new
            {
                @object = "list",
                data = vectors.Select((v, i) => new { @object = "embedding", index = i, embedding = v }),
                model = body.RootElement.GetProperty("model").GetString(),
                usage = new { prompt_tokens = 0, total_tokens = 0 },
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
