using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

/// <summary>
/// A test double of <see cref="ITextEncoder"/> that counts what it is asked to encode. Its vectors are a
/// deterministic function of the text (seeded by the text's SHA-256), unit norm, so results can be checked.
/// </summary>
internal sealed class CountingEncoder(int dimension = 8, string id = "counting-test-encoder") : ITextEncoder
{
    public string Id => id;
    public int Dimension => dimension;
    public int MaxTokens => 256;
    public int Calls { get; private set; }
    public List<EncoderInput> Encoded { get; } = new();

    public float[][] Encode(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null)
    {
        Calls++;
        Encoded.AddRange(inputs);
        var result = new float[inputs.Count][];
        for (int i = 0; i < inputs.Count; i++)
        {
            result[i] = VectorOf(inputs[i]);
            progress?.Report((i + 1, inputs.Count));
        }
        return result;
    }

    public static float[] VectorOf(EncoderInput input)
    {
        var key = input.Key();
        var rng = new Random((int)(key.W0 & 0x7fffffff));
        var v = new float[8];
        for (int j = 0; j < v.Length; j++) v[j] = (float)(rng.NextDouble() - 0.5);
        SentencePooling.Normalise(v);
        return v;
    }

    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;
}

/// <summary>A fresh folder under the system temp folder, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bayesrouter-encoder-tests-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
