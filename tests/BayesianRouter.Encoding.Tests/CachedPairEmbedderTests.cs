using BayesianRouter.Data;
using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

public sealed class CachedPairEmbedderTests
{
    private static PreferencePair Pair(string id, string prompt, string a = "", string b = "") => new()
    {
        Id = id, Group = PreferencePair.GroupOf(prompt), Prompt = prompt, ResponseA = a, ResponseB = b,
    };

    private static readonly PreferencePair[] Pairs =
    [
        Pair("1", "What is 2+2?", "4", "5"),
        Pair("2", "What is 2+2?", "4", "22"),
        Pair("3", "Prove that sqrt(2) is irrational."),
        Pair("4", "Prove that sqrt(2) is irrational."),
    ];

    [Fact]
    public void Embeds_prompt_with_each_response_and_encodes_identical_texts_once()
    {
        var encoder = new CountingEncoder();
        var embedder = new CachedPairEmbedder(encoder, cache: null);
        var result = embedder.Embed(Pairs);

        Assert.Equal(4, result.Count);
        Assert.Equal(CountingEncoder.VectorOf(new EncoderInput("What is 2+2?", "4")), result[0].E);
        Assert.Equal(CountingEncoder.VectorOf(new EncoderInput("What is 2+2?", "5")), result[0].EPrime);
        Assert.Equal(CountingEncoder.VectorOf(new EncoderInput("What is 2+2?", "22")), result[1].EPrime);
        // An empty response leaves the prompt alone: e = e'.
        Assert.Equal(CountingEncoder.VectorOf(new EncoderInput("Prove that sqrt(2) is irrational.")), result[2].E);
        Assert.Equal(result[2].E, result[2].EPrime);
        // 8 texts, 4 distinct: (2+2, 4), (2+2, 5), (2+2, 22), (sqrt 2).
        Assert.Equal(4, encoder.Encoded.Count);
        Assert.Equal(4, embedder.TextsEncoded);
    }

    [Fact]
    public void A_second_run_encodes_nothing()
    {
        using var tmp = new TempFolder();
        var first = new CountingEncoder();
        var firstRun = new CachedPairEmbedder(first, new EmbeddingCache(tmp.Path, first.Id, first.Dimension)).Embed(Pairs);
        Assert.Equal(4, first.Encoded.Count);

        var second = new CountingEncoder();
        var secondRun = new CachedPairEmbedder(second, new EmbeddingCache(tmp.Path, second.Id, second.Dimension)).Embed(Pairs);
        Assert.Equal(0, second.Calls);
        for (int i = 0; i < Pairs.Length; i++)
        {
            Assert.Equal(firstRun[i].E, secondRun[i].E);
            Assert.Equal(firstRun[i].EPrime, secondRun[i].EPrime);
        }
    }

    [Fact]
    public void A_corrupted_cache_file_is_detected_and_rebuilt()
    {
        using var tmp = new TempFolder();
        var enc = new CountingEncoder();
        // Chunks of 2 texts: two shards, so damage to one loses only its entries.
        new CachedPairEmbedder(enc, new EmbeddingCache(tmp.Path, enc.Id, enc.Dimension), chunkSize: 2).Embed(Pairs);
        var cache = new EmbeddingCache(tmp.Path, enc.Id, enc.Dimension);
        var shards = Directory.GetFiles(cache.Folder, "shard-*.bin").Order().ToArray();
        Assert.Equal(2, shards.Length);
        using (var f = new FileStream(shards[0], FileMode.Open)) f.SetLength(f.Length - 7);

        var rebuilt = new CountingEncoder();
        var reopened = new EmbeddingCache(tmp.Path, rebuilt.Id, rebuilt.Dimension);
        Assert.Single(reopened.Problems);
        var result = new CachedPairEmbedder(rebuilt, reopened).Embed(Pairs);
        Assert.Equal(2, rebuilt.Encoded.Count); // exactly the lost shard's texts
        Assert.Equal(CountingEncoder.VectorOf(new EncoderInput("What is 2+2?", "4")), result[0].E);

        var third = new CountingEncoder();
        new CachedPairEmbedder(third, new EmbeddingCache(tmp.Path, third.Id, third.Dimension)).Embed(Pairs);
        Assert.Equal(0, third.Calls);
    }

    [Fact]
    public void Progress_is_reported_in_pairs_and_ends_complete()
    {
        var reports = new List<(int Done, int Total)>();
        new CachedPairEmbedder(new CountingEncoder(), null, chunkSize: 1).Embed(Pairs, new SyncReport(reports));
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal(Pairs.Length, r.Total));
        Assert.Equal((Pairs.Length, Pairs.Length), reports[^1]);
        for (int i = 1; i < reports.Count; i++) Assert.True(reports[i].Done >= reports[i - 1].Done);
    }

    [Fact]
    public void Create_puts_the_cache_under_the_given_root_and_owns_the_encoder()
    {
        using var tmp = new TempFolder();
        var encoder = new CountingEncoder();
        using (var embedder = CachedPairEmbedder.Create(encoder, tmp.Path))
        {
            Assert.StartsWith(tmp.Path, embedder.Cache!.Folder);
            embedder.Embed(Pairs);
            Assert.NotEmpty(Directory.GetFiles(embedder.Cache.Folder, "shard-*.bin"));
        }
        Assert.True(encoder.Disposed);
        using var uncached = CachedPairEmbedder.Create(new CountingEncoder(), tmp.Path, useCache: false);
        Assert.Null(uncached.Cache);
    }

    [Fact]
    public void Refuses_a_cache_of_another_encoder()
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, "other", 8);
        Assert.Throws<ArgumentException>(() => new CachedPairEmbedder(new CountingEncoder(), cache));
    }

    [Fact]
    public void Inputs_that_differ_only_in_where_prompt_ends_have_different_keys()
    {
        Assert.NotEqual(new EncoderInput("ab", "c").Key(), new EncoderInput("a", "bc").Key());
        Assert.Equal(new EncoderInput("ab", "c").Key(), new EncoderInput("ab", "c").Key());
    }

    private sealed class SyncReport(List<(int, int)> sink) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => sink.Add(value);
    }
}
