namespace BayesianRouter.Encoding;

/// <summary>
/// A frozen sentence encoder: texts in, L2-normalised vectors out. Implementations: <see cref="BertOnnxEncoder"/>
/// (any BERT-style ONNX model with its WordPiece vocab), of which <see cref="MiniLmEncoder"/> is the built-in instance.
/// </summary>
public interface ITextEncoder : IDisposable
{
    /// <summary>
    /// Identifies the model and every setting that changes an embedding (pooling, truncation): the embedding
    /// cache's key and the offline router's record of which encoder it was trained with.
    /// </summary>
    string Id { get; }

    /// <summary>Length of every embedding.</summary>
    int Dimension { get; }

    /// <summary>Maximum tokens of prompt plus response, special tokens included.</summary>
    int MaxTokens { get; }

    /// <summary>Encodes prompt || response inputs, in order; each vector has unit L2 norm. Reports (texts done, total).</summary>
    float[][] Encode(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null);

    /// <summary>Encodes plain texts (each a prompt with no response), in order; each vector has unit L2 norm.</summary>
    float[][] Encode(IReadOnlyList<string> texts, IProgress<(int Done, int Total)>? progress = null) =>
        Encode(texts.Select(t => new EncoderInput(t)).ToArray(), progress);
}
