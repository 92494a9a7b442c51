using BayesianRouter.Data;
using BayesianRouter.Encoding;
using BayesianRouter.Encoding.Remote;
using BayesianRouter.TestSupport;
using Microsoft.AspNetCore.Http;

namespace BayesianRouter.Encoding.Tests;

/// <summary>The server the remote encoder is tested against: all-MiniLM-L6-v2 as TEI serves it (mean pooling, its own 512-token limit).</summary>
public sealed class StandInServerFixture : IAsyncLifetime
{
    public BertOnnxEncoder ServerModel { get; } = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = 512, Threads = 1 });
    public StandInEmbeddingsServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await StandInEmbeddingsServer.StartAsync(texts => ServerModel.Encode(texts.Select(t => new EncoderInput(t)).ToArray()));

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        ServerModel.Dispose();
    }
}

/// <summary><c>--encoder URL</c>: pair features from an OpenAI-compatible /v1/embeddings server, with timeouts and retries.</summary>
public sealed class RemoteEncoderTests(StandInServerFixture fixture) : IClassFixture<StandInServerFixture>
{
    private const int Budget = 128;

    private OpenAiEmbeddingsEncoder Remote(Uri? url = null, TimeSpan? timeout = null, int retries = 3) => OpenAiEmbeddingsEncoder.CreateMiniLm(new RemoteEncoderOptions
    {
        Url = url ?? fixture.Server.Address, Timeout = timeout ?? TimeSpan.FromSeconds(30), Retries = retries, RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        MaxTextsPerRequest = 8,
    }, new EncoderOptions { MaxTokens = Budget });

    private static EncoderInput[] ChatTexts(int pairs)
    {
        var path = Path.Combine(TestPaths.RepoRoot, "..", "shared", "datasets", "prd-vicuna80", "pairs.jsonl");
        return PairFile.ReadAll(path).Take(pairs).SelectMany(p => new[] { new EncoderInput(p.Prompt, p.ResponseA), new EncoderInput(p.Prompt, p.ResponseB) }).ToArray();
    }

    [Fact]
    public async Task Features_from_the_server_match_the_local_encoders_within_tolerance()
    {
        fixture.Server.Fault = null;
        using var remote = Remote();
        using var local = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = Budget, Threads = 1 });
        var texts = ChatTexts(12); // real chat pairs: long responses, cut to the budget here before they are sent
        var fromServer = await remote.EncodeAsync(texts);
        var fromLocal = local.Encode(texts);
        Assert.Equal(local.Id, remote.Id); // the same encoder to the cache and the router
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(1.0, VectorMath.Norm(fromServer[i]), 5);
            Assert.True(VectorMath.Cosine(fromServer[i], fromLocal[i]) >= 0.999, $"text {i}: cosine {VectorMath.Cosine(fromServer[i], fromLocal[i])}");
        }
        // without the cut, the server would see the whole text: a different embedding, so the cut matters
        var uncut = fixture.ServerModel.Encode([texts[0]]);
        Assert.True(VectorMath.Cosine(uncut[0], fromLocal[0]) < 0.999);
        Assert.InRange(await remote.VerifyAsync(), 0.999, 1.0001);
    }

    [Fact]
    public async Task Transient_failures_are_retried_and_client_errors_are_not()
    {
        using var remote = Remote();
        int before = fixture.Server.Requests;
        fixture.Server.Fault = n => Task.FromResult<IResult?>(n - before <= 2 ? Results.Json(new { error = "overloaded" }, statusCode: 503) : null);
        var vectors = await remote.EncodeAsync([new EncoderInput("What is 2 + 3?", "5")]);
        Assert.Single(vectors);
        Assert.Equal(3, fixture.Server.Requests - before);

        before = fixture.Server.Requests;
        fixture.Server.Fault = _ => Task.FromResult<IResult?>(Results.Json(new { error = new { message = "input too long" } }, statusCode: 400));
        var e = await Assert.ThrowsAsync<RemoteEncoderException>(() => remote.EncodeAsync([new EncoderInput("x")]));
        Assert.Contains("HTTP 400: input too long", e.Message);
        Assert.Contains("/v1/embeddings", e.Message);
        Assert.False(e.Transient);
        Assert.Equal(1, fixture.Server.Requests - before);
        fixture.Server.Fault = null;
    }

    [Fact]
    public async Task A_server_that_does_not_answer_in_time_fails_after_its_retries()
    {
        using var remote = Remote(timeout: TimeSpan.FromSeconds(1), retries: 1);
        fixture.Server.Fault = async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            return Results.StatusCode(500);
        };
        var e = await Assert.ThrowsAsync<RemoteEncoderException>(() => remote.EncodeAsync([new EncoderInput("slow")]));
        Assert.Contains("no answer within 1 s (2 attempts)", e.Message);
        Assert.True(e.Transient);
        fixture.Server.Fault = null;
    }

    [Fact]
    public async Task An_answer_off_the_protocol_is_an_error_naming_what_is_wrong()
    {
        using var remote = Remote();
        fixture.Server.Fault = _ => Task.FromResult<IResult?>(Results.Json(new { data = new[] { new { index = 0, embedding = new[] { 0.1, 0.2 } } } }));
        var e = await Assert.ThrowsAsync<RemoteEncoderException>(() => remote.EncodeAsync([new EncoderInput("a"), new EncoderInput("b")]));
        Assert.Contains("1 embeddings for 2 texts", e.Message);
        e = await Assert.ThrowsAsync<RemoteEncoderException>(() => remote.EncodeAsync([new EncoderInput("a")]));
        Assert.Contains("has 2 values, the local model's have 384", e.Message);
        fixture.Server.Fault = null;
    }

    [Fact]
    public async Task A_server_with_another_model_fails_the_probe_and_an_unreachable_one_is_named()
    {
        using var wrong = new SyntheticTextEncoder(384, 512);
        await using var other = await StandInEmbeddingsServer.StartAsync(texts => wrong.Encode(texts.Select(t => new EncoderInput(t)).ToArray()));
        using var remote = Remote(other.Address);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => remote.VerifyAsync());
        Assert.Contains("are not sentence-transformers/all-MiniLM-L6-v2's with mean pooling", e.Message);
        Assert.Contains(other.Address.Authority, e.Message);

        using var nowhere = Remote(new Uri("http://127.0.0.1:9"), retries: 0);
        var down = await Assert.ThrowsAsync<RemoteEncoderException>(() => nowhere.EncodeAsync([new EncoderInput("a")]));
        Assert.Contains("cannot reach the embeddings server", down.Message);
        Assert.True(down.Transient);
    }

    [Fact]
    public void The_endpoint_is_the_base_url_with_v1_embeddings()
    {
        Assert.Equal("http://tei:8080/v1/embeddings", OpenAiEmbeddingsEncoder.EndpointOf(new Uri("http://tei:8080")).ToString());
        Assert.Equal("http://host/v1/embeddings", OpenAiEmbeddingsEncoder.EndpointOf(new Uri("http://host/v1/")).ToString());
        Assert.Equal("http://host/proxy/v1/embeddings", OpenAiEmbeddingsEncoder.EndpointOf(new Uri("http://host/proxy")).ToString());
        Assert.Throws<ArgumentException>(() => Remote(new Uri("ftp://host")));
        Assert.Throws<ArgumentException>(() => Remote(new Uri("http://host/?key=1")));
    }
}
