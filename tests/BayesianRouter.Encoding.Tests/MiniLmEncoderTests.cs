using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

[Collection(MiniLmCollection.Name)]
public sealed class MiniLmEncoderTests(MiniLmFixture fixture)
{
    private readonly BertOnnxEncoder _encoder = fixture.Encoder;

    [Fact]
    public void Embeddings_have_dimension_384_and_unit_norm()
    {
        var vectors = ((ITextEncoder)_encoder).Encode(["A cat sits on the mat.", "Solve for x: 2x + 3 = 7.", ""]);
        Assert.Equal(384, _encoder.Dimension);
        Assert.Equal(3, vectors.Length);
        foreach (var v in vectors)
        {
            Assert.Equal(384, v.Length);
            Assert.InRange(VectorMath.Norm(v), 0.99999, 1.00001);
        }
    }

    [Fact]
    public void A_paraphrase_is_closer_than_an_unrelated_sentence()
    {
        var v = ((ITextEncoder)_encoder).Encode([
            "How do I compute the area of a circle?",
            "What is the formula for the area of a circle?",
            "The stock market fell sharply on Monday morning.",
        ]);
        double paraphrase = VectorMath.Dot(v[0], v[1]);
        double unrelated = VectorMath.Dot(v[0], v[2]);
        Assert.True(paraphrase > unrelated + 0.3, $"paraphrase {paraphrase:F3} vs unrelated {unrelated:F3}");
    }

    /// <summary>
    /// ONNX Runtime through our tokenizer and pooling gives the package's own embedding. The package truncates only
    /// at 512 tokens, so it is given the text our encoder keeps after truncation (<see cref="BertOnnxEncoder.TruncatedText"/>).
    /// </summary>
    [Fact]
    public void Matches_the_package_embedding_of_the_same_texts()
    {
        var longText = string.Join(" ", Enumerable.Range(0, 120).Select(i => $"word{i % 7} number {i}, then more;"));
        string[] texts =
        [
            "The quick brown fox jumps over the lazy dog.",
            "What is the sum of all positive integers n such that n^2 - 19n + 99 is a perfect square?",
            "Reward models disagree on hard math problems (but not always)!",
            "What is $y$ when $y^2 + 13 = 29$ and y > 0?",
            longText,
        ];
        var ours = ((ITextEncoder)_encoder).Encode(texts);
        var aligned = texts.Select(t => _encoder.TruncatedText(t)).ToArray();
        Assert.True(_encoder.TokenIds(longText).Length == MiniLmFixture.MaxTokens, "the long text must be truncated");
        var reference = fixture.Package.Encode(aligned, batchSize: 4);

        for (int i = 0; i < texts.Length; i++)
        {
            // Same token ids first, then the same vector.
            Assert.Equal(_encoder.TokenIds(texts[i]).Select(x => (long)x), fixture.Package.TokenIds(aligned[i]));
            double cosine = VectorMath.Cosine(ours[i], reference[i]);
            Assert.True(cosine >= 0.9999, $"text {i}: cosine {cosine:F6}");
        }
    }

    [Fact]
    public void Batching_and_length_sorting_do_not_change_embeddings()
    {
        string[] texts = ["short", "a somewhat longer sentence about geometry and circles", "mid length text here", "x",
            "one more sentence that is fairly long, with commas, and numbers 1 2 3 4 5 6 7 8 9"];
        var sorted = ((ITextEncoder)_encoder).Encode(texts);
        using var single = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = MiniLmFixture.MaxTokens, BatchSize = 1, SortByLength = false, Threads = 1 });
        var one = ((ITextEncoder)single).Encode(texts);
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < one[i].Length; j++)
                Assert.True(Math.Abs(one[i][j] - sorted[i][j]) < 1e-4, $"text {i} component {j}: {one[i][j]} vs {sorted[i][j]}");
    }

    [Fact]
    public void Left_truncation_keeps_the_response_and_the_end_of_the_prompt()
    {
        var prompt = "start " + string.Join(" ", Enumerable.Repeat("filler", 200)) + " finally";
        var input = new EncoderInput(prompt, "the answer is forty two");
        var text = _encoder.TruncatedText(input);
        Assert.Equal(MiniLmFixture.MaxTokens, _encoder.TokenIds(input).Length);
        Assert.EndsWith("finally the answer is forty two", text);
        Assert.DoesNotContain("start", text);
    }

    [Fact]
    public void Right_truncation_keeps_the_start_of_the_prompt()
    {
        using var right = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = 16, PromptTruncation = PromptTruncation.Right });
        var text = right.TruncatedText(new EncoderInput("start " + string.Join(" ", Enumerable.Repeat("filler", 50)) + " finally", "answer"));
        Assert.StartsWith("start filler", text);
        Assert.EndsWith("filler answer", text);
        Assert.Contains("prompt_cut=right", right.Id);
    }

    [Fact]
    public void Prompt_and_response_are_encoded_as_their_concatenation()
    {
        var split = _encoder.Encode([new EncoderInput("What is 2 + 2?", "It is 4.")])[0];
        var joined = ((ITextEncoder)_encoder).Encode(["What is 2 + 2? It is 4."])[0];
        Assert.True(VectorMath.Cosine(split, joined) > 0.99999);
    }

    [Fact]
    public void The_id_names_model_pooling_and_truncation()
    {
        Assert.Equal($"sentence-transformers/all-MiniLM-L6-v2;pooling=mean;max_tokens={MiniLmFixture.MaxTokens};prompt_cut=left", _encoder.Id);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(513)]
    public void Rejects_a_token_budget_outside_the_position_table(int maxTokens)
    {
        var e = Assert.Throws<ArgumentException>(() => new EncoderOptions { MaxTokens = maxTokens }.Validate());
        Assert.Contains("max tokens", e.Message);
    }
}
