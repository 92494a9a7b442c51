using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace BayesianRouter.Encoding.Remote;

/// <summary>
/// The pair features' encoder on an existing embeddings engine: an OpenAI-compatible <c>POST /v1/embeddings</c>
/// server (Hugging Face TEI, vLLM, Infinity) that serves the same model as a local <see cref="BertOnnxEncoder"/>
/// (all-MiniLM-L6-v2 by default), so encoding scales out on infrastructure users already run. What the router was
/// trained with is kept: the local tokenizer cuts each prompt || response input to the local encoder's token budget
/// (<see cref="BertOnnxEncoder.TruncatedText"/>), the server pools as the model does (mean for MiniLM) and every vector
/// is L2-normalised here; <see cref="VerifyAsync"/> checks on probe texts that the server's embeddings are the local
/// model's. The <see cref="Id"/> is the local encoder's, so a router trained locally routes with these features and
/// the embedding cache is shared. Requests carry at most <see cref="RemoteEncoderOptions.MaxTextsPerRequest"/> texts,
/// <see cref="RemoteEncoderOptions.MaxConcurrency"/> at once; each attempt has a timeout, and transient failures
/// (connection, timeout, 5xx, 408, 429) are retried with exponential back-off and jitter (Polly). Thread-safe.
/// </summary>
public sealed class OpenAiEmbeddingsEncoder : IConcurrentTextEncoder
{
    private readonly BertOnnxEncoder _local;
    private readonly bool _ownsLocal;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline _pipeline;
    private readonly SemaphoreSlim _slots;

    /// <param name="local">The same model run locally: its tokenizer and truncation are used, and it is the reference of <see cref="VerifyAsync"/>.</param>
    /// <param name="handler">The HTTP handler (tests); default: a pooled <see cref="SocketsHttpHandler"/>.</param>
    public OpenAiEmbeddingsEncoder(BertOnnxEncoder local, RemoteEncoderOptions options, HttpMessageHandler? handler = null, bool ownsLocal = true)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _local = local;
        _ownsLocal = ownsLocal;
        Options = options;
        Endpoint = EndpointOf(options.Url);
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = options.Timeout < TimeSpan.FromSeconds(10) ? options.Timeout : TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan, // the pipeline's timeout rules
        };
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        var builder = new ResiliencePipelineBuilder();
        if (options.Retries > 0)
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RemoteEncoderException>(e => e.Transient).Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = options.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
            });
        builder.AddTimeout(options.Timeout);
        _pipeline = builder.Build();
    }

    /// <summary>all-MiniLM-L6-v2 on a server: the local copy (one ONNX Runtime thread; only its tokenizer works per request) gives truncation and the probe reference.</summary>
    public static OpenAiEmbeddingsEncoder CreateMiniLm(RemoteEncoderOptions options, EncoderOptions? encoder = null) =>
        new(MiniLmEncoder.Create((encoder ?? new EncoderOptions()) with { Threads = 1 }), options);

    public RemoteEncoderOptions Options { get; }

    /// <summary>The embeddings endpoint: the base URL with <c>/v1/embeddings</c> (or <c>/embeddings</c> after a base ending in <c>/v1</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>The local encoder's id: the same model, pooling and truncation give the same features.</summary>
    public string Id => _local.Id;
    public int Dimension => _local.Dimension;
    public int MaxTokens => _local.MaxTokens;

    /// <summary>HTTP requests sent so far (attempts, retries included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    private long _requests;

    public static Uri EndpointOf(Uri baseUrl)
    {
        var path = baseUrl.AbsolutePath.TrimEnd('/');
        path += path.EndsWith("/v1", StringComparison.Ordinal) ? "/embeddings" : "/v1/embeddings";
        return new UriBuilder(baseUrl) { Path = path, Query = "", Fragment = "" }.Uri;
    }

    public async Task<float[][]> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) return [];
        // truncation as the router was trained: the text the local encoder keeps within its token budget
        var texts = new string[inputs.Count];
        for (int i = 0; i < texts.Length; i++) texts[i] = _local.TruncatedText(inputs[i]);
        var chunks = texts.Chunk(Options.MaxTextsPerRequest).ToArray();
        var results = await Task.WhenAll(chunks.Select(c => PostAsync(c, cancellationToken))).ConfigureAwait(false);
        return results.SelectMany(r => r).ToArray();
    }

    public float[][] Encode(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null)
    {
        var result = EncodeAsync(inputs).GetAwaiter().GetResult();
        progress?.Report((result.Length, result.Length));
        return result;
    }

    /// <summary>
    /// Embeds probe texts on the server and locally; throws <see cref="InvalidDataException"/> naming the URL when a
    /// cosine falls below <see cref="RemoteEncoderOptions.MinProbeCosine"/> (another model, or another pooling), and
    /// <see cref="RemoteEncoderException"/> when the server cannot be reached. Returns the lowest cosine.
    /// </summary>
    public async Task<double> VerifyAsync(CancellationToken cancellationToken = default)
    {
        EncoderInput[] probes =
        [
            new("What is 2 + 3?", "2 + 3 = 5, so the answer is 5."),
            new("Write a haiku about the sea.", "Grey waves fold and break;\nsalt wind carries gulls away;\nthe tide keeps its time."),
            new("Explain photosynthesis briefly.", "Plants use light, water and carbon dioxide to make sugar and oxygen in their chloroplasts."),
        ];
        var remote = await EncodeAsync(probes, cancellationToken).ConfigureAwait(false);
        var local = _local.Encode(probes);
        double lowest = 1;
        for (int i = 0; i < probes.Length; i++) lowest = Math.Min(lowest, Cosine(remote[i], local[i]));
        if (lowest < Options.MinProbeCosine)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{Endpoint}: the server's embeddings are not {_local.ModelId}'s with {_local.Pooling.ToString().ToLowerInvariant()} pooling (cosine {lowest:F3} to the local model on a probe text, at least {Options.MinProbeCosine} needed): serve that model with that pooling (TEI: --model-id {_local.ModelId} --pooling {_local.Pooling.ToString().ToLowerInvariant()})"));
        return lowest;
    }

    private async Task<float[][]> PostAsync(string[] texts, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        int attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                Interlocked.Increment(ref attempts);
                Interlocked.Increment(ref _requests);
                return await AttemptAsync(texts, token, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException e)
        {
            throw new RemoteEncoderException($"{Endpoint}: no answer within {Options.Timeout.TotalSeconds:0.###} s ({Attempts(attempts)})", true, e);
        }
        catch (RemoteEncoderException e) when (attempts > 1)
        {
            throw new RemoteEncoderException($"{e.Message} ({Attempts(attempts)})", e.Transient, e.InnerException);
        }
        finally
        {
            _slots.Release();
        }
    }

    private static string Attempts(int n) => n == 1 ? "1 attempt" : $"{n} attempts";

    private async ValueTask<float[][]> AttemptAsync(string[] texts, CancellationToken token, CancellationToken callerToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(RequestBody(texts)) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (Options.ApiKey is { Length: > 0 } key) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        HttpStatusCode status;
        byte[] body;
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            status = response.StatusCode;
            body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RemoteEncoderException($"{Endpoint}: cannot reach the embeddings server ({e.Message})", true, e);
        }
        catch (IOException e)
        {
            throw new RemoteEncoderException($"{Endpoint}: the connection broke ({e.Message})", true, e);
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested && !token.IsCancellationRequested)
        {
            throw new RemoteEncoderException($"{Endpoint}: the connection was closed", true);
        }
        if ((int)status is < 200 or > 299)
        {
            bool transient = (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            throw new RemoteEncoderException($"{Endpoint}: HTTP {(int)status}: {ErrorText(body)}", transient);
        }
        return ParseEmbeddings(body, texts.Length);
    }

    private byte[] RequestBody(string[] texts)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartArray("input");
            foreach (var t in texts) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteString("model", Options.Model);
            w.WriteString("encoding_format", "float");
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>Reads <c>{"data": [{"index": i, "embedding": [...]}]}</c>: one unit vector per text, by index.</summary>
    private float[][] ParseEmbeddings(byte[] body, int count)
    {
        var result = new float[count][];
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw Malformed("no \"data\" list in the answer");
            if (data.GetArrayLength() != count) throw Malformed($"{data.GetArrayLength()} embeddings for {count} texts");
            int position = 0;
            foreach (var item in data.EnumerateArray())
            {
                int index = item.TryGetProperty("index", out var ix) && ix.TryGetInt32(out var v) ? v : position;
                if (index < 0 || index >= count || result[index] != null) throw Malformed($"data[{position}].index {index} is out of range or repeated");
                if (!item.TryGetProperty("embedding", out var e) || e.ValueKind != JsonValueKind.Array)
                    throw Malformed($"data[{position}].embedding is missing or not a list of numbers (ask for \"encoding_format\": \"float\")");
                if (e.GetArrayLength() != Dimension) throw Malformed($"data[{position}].embedding has {e.GetArrayLength()} values, the local model's have {Dimension}");
                var vector = new float[Dimension];
                int j = 0;
                foreach (var x in e.EnumerateArray())
                {
                    if (x.ValueKind != JsonValueKind.Number || !double.IsFinite(x.GetDouble())) throw Malformed($"data[{position}].embedding[{j}] is not a finite number");
                    vector[j++] = (float)x.GetDouble();
                }
                SentencePooling.Normalise(vector);
                result[index] = vector;
                position++;
            }
        }
        catch (JsonException e)
        {
            throw new RemoteEncoderException($"{Endpoint}: the answer is not valid JSON ({e.Message})", false, e);
        }
        return result;
    }

    private RemoteEncoderException Malformed(string what) => new($"{Endpoint}: {what}", false);

    /// <summary>The message of an error body (<c>{"error": {"message"}}</c>, <c>{"error": "..."}</c>, <c>{"message"}</c>), else its text, cut short.</summary>
    private static string ErrorText(byte[] body)
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
                if (root.TryGetProperty("message", out var msg) && msg.ValueKind == JsonValueKind.String) return Cut(msg.GetString()!);
            }
        }
        catch (JsonException) { }
        return body.Length == 0 ? "(empty body)" : Cut(System.Text.Encoding.UTF8.GetString(body));
    }

    private static string Cut(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 300 ? line : line[..297] + "...";
    }

    private static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return ab / Math.Sqrt(aa * bb);
    }

    public void Dispose()
    {
        _http.Dispose();
        _slots.Dispose();
        if (_ownsLocal) _local.Dispose();
    }
}
