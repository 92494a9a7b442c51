using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

/// <summary>One MiniLM session (and the package's, as the reference) for the whole test collection: loading takes ~0.3 s each.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public const int MaxTokens = 64;

    public BertOnnxEncoder Encoder { get; } = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = MaxTokens, BatchSize = 4 });

    public PackageReferenceEncoder Package { get; } = new(threads: Environment.ProcessorCount);

    public void Dispose()
    {
        Encoder.Dispose();
        Package.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>
{
    public const string Name = "MiniLM";
}

internal static class VectorMath
{
    public static double Dot(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    public static double Norm(float[] a) => Math.Sqrt(Dot(a, a));

    public static double Cosine(float[] a, float[] b) => Dot(a, b) / (Norm(a) * Norm(b));
}
