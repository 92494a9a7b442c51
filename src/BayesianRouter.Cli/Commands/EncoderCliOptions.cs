using System.CommandLine;
using BayesianRouter.Encoding;
using BayesianRouter.Encoding.Remote;

namespace BayesianRouter.Cli.Commands;

/// <summary>
/// Options of the live encoder (serve, label, bench serve): the built-in MiniLM as a shared, batched resource
/// (<see cref="BatchingEncoder"/>), or an OpenAI-compatible embeddings server (<c>--encoder URL</c>); and the
/// embedding cache's cap. The one place that composes them into a <see cref="CachedPairEmbedder"/>.
/// </summary>
internal sealed class EncoderCliOptions
{
    /// <summary>The environment variable whose value, when set, is sent to <c>--encoder</c> as a bearer token.</summary>
    public const string ApiKeyVariable = "BAYESROUTER_ENCODER_API_KEY";

    public Option<string?> Url { get; } = new("--encoder")
    {
        Description = "Encode on an OpenAI-compatible embeddings server (POST /v1/embeddings: Hugging Face TEI, vLLM, Infinity) serving all-MiniLM-L6-v2 with mean pooling, instead of this machine's CPU: the base URL, e.g. http://127.0.0.1:8081. Texts are cut to the router's token budget here; the server's embeddings are checked against the local model on probe texts at start. A bearer token is read from $" + ApiKeyVariable + " when set (docs/encoder.md).",
    };

    public Option<string?> Model { get; } = new("--encoder-model")
    {
        Description = "With --encoder: the model name sent in each request (vLLM needs the served name; TEI takes any). Default: " + MiniLmEncoder.ModelId + ".",
    };

    public Option<int> Workers { get; } = new("--encoder-workers")
    {
        Description = "Inference workers of the local encoder, each running one model call at a time on one ONNX Runtime thread; concurrent requests' texts are batched together. Default: one per core.",
        DefaultValueFactory = _ => new BatchingEncoderOptions().Workers,
    };

    public Option<int> Threads { get; } = new("--encoder-threads")
    {
        Description = "ONNX Runtime threads of each encoder worker (workers x threads should not exceed the cores).",
        DefaultValueFactory = _ => new BatchingEncoderOptions().ThreadsPerWorker,
    };

    public Option<int?> CacheEntries { get; } = new("--encoder-cache-entries")
    {
        Description = "Most embeddings the cache keeps in memory and on disk (least recently used evicted first). Default: $" + EmbeddingCacheOptions.MaxEntriesVariable + ", else " + EmbeddingCacheOptions.DefaultMaxEntries + " (about 160 MB at 384 dimensions).",
    };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Url, Model, Workers, Threads, CacheEntries }) cmd.Options.Add(o);
    }

    /// <summary>The cache's bounds from the options (checked before anything is created).</summary>
    public EmbeddingCacheOptions CacheOptions(ParseResult parse)
    {
        int entries = parse.GetValue(CacheEntries) ?? EmbeddingCacheOptions.MaxEntriesFromEnvironment();
        if (entries < 1) throw new CliUsageException($"--encoder-cache-entries {entries}: must be at least 1");
        return new EmbeddingCacheOptions { MaxEntries = entries };
    }

    /// <summary>Checks the options that need no file or network (call before creating anything on disk).</summary>
    public void Check(ParseResult parse)
    {
        CacheOptions(parse);
        int workers = parse.GetValue(Workers);
        if (workers < 1) throw new CliUsageException($"--encoder-workers {workers}: must be at least 1");
        int threads = parse.GetValue(Threads);
        if (threads < 1) throw new CliUsageException($"--encoder-threads {threads}: must be at least 1");
        if (parse.GetValue(Url) is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw new CliUsageException($"--encoder {url}: not an http(s) URL (give the embeddings server's base URL, e.g. http://127.0.0.1:8081)");
        if (parse.GetValue(Model) is not null && parse.GetValue(Url) is null) throw new CliUsageException("--encoder-model needs --encoder (the model name is sent to that server)");
    }

    /// <summary>
    /// The service's embedder: the shared local encoder or the embeddings server (verified on probe texts), with a
    /// bounded cache under <paramref name="cacheRoot"/> (default folder when null), or no cache.
    /// </summary>
    public CachedPairEmbedder Build(ParseResult parse, EncoderOptions options, string? cacheRoot, bool useCache = true)
    {
        Check(parse);
        var cacheOptions = CacheOptions(parse);
        if (parse.GetValue(Url) is not { } url)
            return CachedPairEmbedder.CreateSharedMiniLm(options, new BatchingEncoderOptions { Workers = parse.GetValue(Workers), ThreadsPerWorker = parse.GetValue(Threads) },
                cacheRoot, useCache, cacheOptions);
        var remote = OpenAiEmbeddingsEncoder.CreateMiniLm(new RemoteEncoderOptions
        {
            Url = new Uri(url),
            Model = parse.GetValue(Model) ?? MiniLmEncoder.ModelId,
            ApiKey = Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key : null,
        }, options);
        try
        {
            remote.VerifyAsync().GetAwaiter().GetResult();
            return useCache ? CachedPairEmbedder.CreateCached(remote, cacheRoot, cacheOptions) : new CachedPairEmbedder(remote, null, ownsEncoder: true);
        }
        catch (RemoteEncoderException e)
        {
            remote.Dispose();
            throw new CliUsageException($"--encoder {url}: {e.Message}");
        }
        catch
        {
            remote.Dispose();
            throw;
        }
    }
}
