namespace BayesianRouter.Encoding;

/// <summary>
/// A text encoder that many callers may use at once, without a lock around it: a shared, batched resource
/// (<see cref="BatchingEncoder"/>) or a remote server (<see cref="Remote.OpenAiEmbeddingsEncoder"/>).
/// </summary>
public interface IConcurrentTextEncoder : ITextEncoder
{
    /// <summary>Encodes prompt || response inputs, in order; thread-safe. Cancelling stops the wait, not the shared work.</summary>
    Task<float[][]> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default);
}
