using BayesianRouter.Data;
using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

/// <summary>The measuring class behind <c>bayesrouter bench encoding</c>, on a handful of texts (no timing is asserted).</summary>
public sealed class EncodingBenchmarkTests
{
    [Fact]
    public void Texts_of_a_pair_file_are_its_distinct_prompt_response_texts_in_order()
    {
        var pairs = new[]
        {
            new PreferencePair { Id = "1", Group = "g", Prompt = "P1", ResponseA = "a", ResponseB = "b" },
            new PreferencePair { Id = "2", Group = "g", Prompt = "P1", ResponseA = "a", ResponseB = "c" },
            new PreferencePair { Id = "3", Group = "h", Prompt = "P2" },
        };
        Assert.Equal([new("P1", "a"), new("P1", "b"), new("P1", "c"), new EncoderInput("P2")], EncodingBenchmark.TextsOf(pairs));
        Assert.Equal([new("P1", "a"), new EncoderInput("P1", "b")], EncodingBenchmark.TextsOf(pairs, limit: 2));
    }

    [Fact]
    public void Measures_every_way_of_encoding_on_the_same_texts()
    {
        using var tmp = new TempFolder();
        EncoderInput[] texts =
        [
            "short one", "What is $y$ when $y^2 + 13 = 29$?", "a",
            string.Join(" ", Enumerable.Repeat("a longer text with several words", 8)), "mid sized text here", "another",
        ];
        var stages = new List<string>();
        var r = EncodingBenchmark.Run(texts, new EncodingBenchmarkOptions { MaxTokens = 32, BatchSize = 3, ScratchFolder = tmp.Path },
            new ListProgress(stages));

        Assert.Equal(6, r.Texts);
        Assert.Equal(5, stages.Count); // package, input order, uncached, cold, warm
        Assert.All(stages, s => Assert.Contains("max tokens 32", s));
        foreach (var row in new[] { r.Package, r.InputOrder, r.Uncached!, r.Cold, r.Warm })
        {
            Assert.Equal(6, row.Texts);
            Assert.True(row.Seconds > 0 && row.TextsPerSecond > 0, row.Name);
        }
        Assert.Equal(r.InputOrder.Tokens, r.Cold.Tokens);
        Assert.Equal(r.Uncached!.TokenSlots, r.Cold.TokenSlots); // the same sorted batches, with and without the cache
        Assert.Equal(r.Cold.TextsPerSecond / r.Uncached.TextsPerSecond, r.ColdOverUncached!.Value, 12);
        Assert.True(r.Cold.TokenSlots < r.InputOrder.TokenSlots, "sorting by length computes fewer padded positions");
        Assert.True(r.Cold.PaddingShare < r.InputOrder.PaddingShare);
        Assert.InRange(r.MinCosineToPackage, 0.9999, 1.0001); // these texts tokenize alike in both
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path)); // the scratch cache is removed
    }

    private sealed class ListProgress(List<string> sink) : IProgress<string>
    {
        public void Report(string value) => sink.Add(value);
    }
}
