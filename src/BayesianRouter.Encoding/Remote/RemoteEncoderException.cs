namespace BayesianRouter.Encoding.Remote;

/// <summary>An embeddings request that failed (after retries when <see cref="Transient"/>); the message names the endpoint.</summary>
public sealed class RemoteEncoderException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when asking again may help (connection, timeout, HTTP 5xx, 408, 429).</summary>
    public bool Transient { get; } = transient;
}
