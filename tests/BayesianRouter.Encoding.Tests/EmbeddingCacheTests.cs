using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

public sealed class EmbeddingCacheTests
{
    private const string Id = "test-encoder;pooling=mean;max_tokens=256;prompt_cut=left";

    private static List<(TextKey, float[])> Entries(int n, int dim = 8) => Enumerable.Range(0, n)
        .Select(i => (new EncoderInput($"text {i}").Key(), Enumerable.Range(0, dim).Select(j => (float)(i * 100 + j)).ToArray()))
        .ToList();

    private static string[] Shards(EmbeddingCache cache) => Directory.GetFiles(cache.Folder, "shard-*.bin");

    [Fact]
    public void Entries_written_by_one_instance_are_read_by_the_next()
    {
        using var tmp = new TempFolder();
        var entries = Entries(5);
        new EmbeddingCache(tmp.Path, Id, 8).Add(entries);

        var reopened = new EmbeddingCache(tmp.Path, Id, 8);
        Assert.Equal(5, reopened.Count);
        Assert.Empty(reopened.Problems);
        foreach (var (key, vector) in entries)
        {
            Assert.True(reopened.TryGet(key, out var got));
            Assert.Equal(vector, got);
        }
    }

    [Fact]
    public void Another_encoder_id_uses_another_folder()
    {
        using var tmp = new TempFolder();
        new EmbeddingCache(tmp.Path, Id, 8).Add(Entries(3));
        var other = new EmbeddingCache(tmp.Path, Id.Replace("max_tokens=256", "max_tokens=128"), 8);
        Assert.Equal(0, other.Count);
        Assert.NotEqual(new EmbeddingCache(tmp.Path, Id, 8).Folder, other.Folder);
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("flip")]
    [InlineData("append")]
    [InlineData("empty")]
    public void A_damaged_shard_is_detected_deleted_and_never_trusted(string damage)
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, Id, 8);
        cache.Add(Entries(4));
        var shard = Assert.Single(Shards(cache));
        var bytes = File.ReadAllBytes(shard);
        byte[] damaged = damage switch
        {
            "truncate" => bytes[..(bytes.Length - 40)],
            "flip" => FlipByte(bytes, bytes.Length / 2),
            "append" => [.. bytes, 0],
            _ => [],
        };
        File.WriteAllBytes(shard, damaged);

        var reopened = new EmbeddingCache(tmp.Path, Id, 8);
        Assert.Equal(0, reopened.Count);
        var problem = Assert.Single(reopened.Problems);
        Assert.Contains(shard, problem);
        Assert.False(File.Exists(shard));
    }

    [Fact]
    public void A_shard_of_another_encoder_is_refused()
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, Id, 8);
        var path = Path.Combine(cache.Folder, "shard-foreign.bin");
        Directory.CreateDirectory(cache.Folder);
        using (var s = File.Create(path)) CacheShard.Write(s, "someone-else", 8, Entries(2));
        var reopened = new EmbeddingCache(tmp.Path, Id, 8);
        Assert.Equal(0, reopened.Count);
        Assert.Contains("someone-else", Assert.Single(reopened.Problems));
    }

    [Fact]
    public void Many_shards_are_merged_into_one_without_losing_entries()
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, Id, 8);
        var all = Entries(EmbeddingCache.MaxShards + 3);
        foreach (var entry in all) cache.Add([entry]);
        Assert.Equal(all.Count, Shards(cache).Length);

        var reopened = new EmbeddingCache(tmp.Path, Id, 8);
        Assert.Single(Shards(reopened));
        var again = new EmbeddingCache(tmp.Path, Id, 8);
        Assert.Equal(all.Count, again.Count);
        foreach (var (key, vector) in all) Assert.True(again.TryGet(key, out var v) && v.SequenceEqual(vector));
    }

    [Fact]
    public void Temporary_files_of_unfinished_writes_are_ignored()
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, Id, 8);
        cache.Add(Entries(2));
        File.WriteAllBytes(Path.Combine(cache.Folder, ".shard-x.bin.1.abc.tmp"), [1, 2, 3]);
        var reopened = new EmbeddingCache(tmp.Path, Id, 8);
        Assert.Equal(2, reopened.Count);
        Assert.Empty(reopened.Problems);
    }

    [Fact]
    public void The_default_root_follows_BAYESROUTER_CACHE()
    {
        var before = Environment.GetEnvironmentVariable("BAYESROUTER_CACHE");
        try
        {
            Environment.SetEnvironmentVariable("BAYESROUTER_CACHE", "/some/cache/dir");
            Assert.Equal("/some/cache/dir", EmbeddingCache.DefaultRoot());
            Environment.SetEnvironmentVariable("BAYESROUTER_CACHE", null);
            Assert.EndsWith(Path.Combine("bayesrouter", "embeddings"), EmbeddingCache.DefaultRoot());
        }
        finally
        {
            Environment.SetEnvironmentVariable("BAYESROUTER_CACHE", before);
        }
    }

    private static byte[] FlipByte(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x40;
        return copy;
    }
}
