namespace BayesianRouter.Encoding.Remote;

/// <summary>Where and how <see cref="OpenAiEmbeddingsEncoder"/> reaches an OpenAI-compatible embeddings server.</summary>
public sealed record RemoteEncoderOptions
{
    /// <summary>The server's base URL (<c>http://host:port</c>, or ending in <c>/v1</c>); <c>/v1/embeddings</c> is appended.</summary>
    public required Uri Url { get; init; }

    /// <summary>The <c>model</c> field of each request (vLLM needs the served name; TEI and Infinity take any). Default: all-MiniLM-L6-v2's id.</summary>
    public string Model { get; init; } = MiniLmEncoder.ModelId;

    /// <summary>Sent as <c>Authorization: Bearer</c> when set (never written to a message or log).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Time limit of one HTTP attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a transient failure (connection refused or reset, timeout, HTTP 5xx, 408, 429), with exponential back-off and jitter.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>First retry delay (doubled per retry, with jitter).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Texts per request (TEI's default <c>--max-client-batch-size</c> is 32).</summary>
    public int MaxTextsPerRequest { get; init; } = 32;

    /// <summary>Requests in flight at once (the server batches them; TEI's default <c>--max-concurrent-requests</c> is 512).</summary>
    public int MaxConcurrency { get; init; } = 8;

    /// <summary>
    /// The lowest cosine between the server's and the local model's embedding of each probe text that
    /// <see cref="OpenAiEmbeddingsEncoder.VerifyAsync"/> accepts: a server with another model or pooling fails it.
    /// </summary>
    public double MinProbeCosine { get; init; } = 0.99;

    internal void Validate()
    {
        if (!Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(Url.Host))
            throw new ArgumentException($"--encoder {Url}: not an http(s) URL");
        if (!string.IsNullOrEmpty(Url.UserInfo)) throw new ArgumentException($"--encoder: the URL must not carry credentials (they would end up in logs)");
        if (!string.IsNullOrEmpty(Url.Query) || !string.IsNullOrEmpty(Url.Fragment))
            throw new ArgumentException($"--encoder {Url}: give the server's base URL, without a query or fragment (/v1/embeddings is appended)");
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("the embeddings model name is empty");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException($"the embeddings timeout must be positive, got {Timeout}");
        if (Retries is < 0 or > 10) throw new ArgumentException($"embeddings retries must be 0 to 10, got {Retries}");
        if (MaxTextsPerRequest < 1) throw new ArgumentException($"texts per embeddings request must be at least 1, got {MaxTextsPerRequest}");
        if (MaxConcurrency < 1) throw new ArgumentException($"embeddings requests in flight must be at least 1, got {MaxConcurrency}");
        if (!(MinProbeCosine is >= -1 and <= 1)) throw new ArgumentException($"the probe cosine must lie in [-1, 1], got {MinProbeCosine}");
    }
}
