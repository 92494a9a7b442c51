using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

/// <summary>The embedding cache stays within its cap in memory and on disk, and writes behind for a service.</summary>
public sealed class BoundedCacheTests
{
    private const string Id = "bounded-test-encoder;pooling=mean;max_tokens=256;prompt_cut=left";

    private static (TextKey Key, float[] Vector) Entry(int i) =>
        (new EncoderInput($"text {i}").Key(), Enumerable.Range(0, 4).Select(j => (float)(i * 10 + j)).ToArray());

    private static EmbeddingCacheOptions Cap(int n, TimeSpan? flush = null) => new() { MaxEntries = n, FlushInterval = flush ?? TimeSpan.FromHours(1) };

    private static string[] Shards(EmbeddingCache cache) => Directory.Exists(cache.Folder) ? Directory.GetFiles(cache.Folder, "shard-*.bin") : [];

    [Fact]
    public void Memory_holds_at_most_the_cap_and_evicts_the_unused_first()
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, Id, 4, Cap(4));
        for (int i = 0; i < 4; i++) cache.Add([Entry(i)]);
        Assert.True(cache.TryGet(Entry(0).Key, out _)); // used: a second chance
        cache.Add([Entry(4)]);
        cache.Add([Entry(5)]);
        Assert.Equal(4, cache.Count);
        Assert.Equal(2, cache.Evicted);
        Assert.True(cache.TryGet(Entry(0).Key, out var v0));
        Assert.Equal(Entry(0).Vector, v0);
        Assert.False(cache.TryGet(Entry(1).Key, out _));
        Assert.False(cache.TryGet(Entry(2).Key, out _));
        Assert.True(cache.TryGet(Entry(5).Key, out _));
    }

    [Fact]
    public void The_disk_keeps_about_the_cap_deleting_the_oldest_shards_but_rewriting_what_is_in_use()
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, Id, 4, Cap(6));
        cache.Add([Entry(0), Entry(1)]);
        for (int i = 2; i < 30; i += 2)
        {
            Assert.True(cache.TryGet(Entry(0).Key, out _)); // entry 0 is used all along
            cache.Add([Entry(i), Entry(i + 1)]);
            Assert.InRange(cache.DiskEntries(), 1, 6 + 2); // the cap, plus the rewritten entry's shard at most
        }
        var reopened = new EmbeddingCache(tmp.Path, Id, 4, Cap(6));
        Assert.True(reopened.TryGet(Entry(0).Key, out var v0)); // survived on disk although its shard was the oldest
        Assert.Equal(Entry(0).Vector, v0);
        Assert.True(reopened.TryGet(Entry(29).Key, out _));
        Assert.False(reopened.TryGet(Entry(1).Key, out _)); // never used again: gone with its shard
        Assert.Empty(reopened.Problems);
    }

    [Fact]
    public void A_cache_opened_with_a_smaller_cap_keeps_the_newest_entries()
    {
        using var tmp = new TempFolder();
        var big = new EmbeddingCache(tmp.Path, Id, 4, Cap(100));
        for (int i = 0; i < 10; i++) big.Add([Entry(i)]);
        var small = new EmbeddingCache(tmp.Path, Id, 4, Cap(3));
        Assert.Equal(3, small.Count);
        Assert.True(small.TryGet(Entry(9).Key, out _));
        Assert.False(small.TryGet(Entry(0).Key, out _));
        Assert.InRange(small.DiskEntries(), 1, 3);
    }

    [Fact]
    public void Enqueued_entries_are_served_at_once_and_written_behind()
    {
        using var tmp = new TempFolder();
        var cache = new EmbeddingCache(tmp.Path, Id, 4, Cap(100));
        cache.Enqueue([Entry(0), Entry(1), Entry(2)]);
        Assert.True(cache.TryGet(Entry(1).Key, out _)); // in memory at once
        Assert.Empty(Shards(cache)); // nothing on disk yet: the caller did not wait for it
        Assert.Equal(3, cache.PendingWrites);
        cache.Flush();
        Assert.Single(Shards(cache));
        Assert.Equal(0, cache.PendingWrites);
        cache.Enqueue([Entry(3)]);
        cache.Dispose(); // writes what is queued
        var reopened = new EmbeddingCache(tmp.Path, Id, 4, Cap(100));
        Assert.Equal(4, reopened.Count);
    }

    [Fact]
    public void The_writer_flushes_on_its_interval_and_when_enough_entries_wait()
    {
        using var tmp = new TempFolder();
        using var byInterval = new EmbeddingCache(tmp.Path, Id, 4, Cap(100, TimeSpan.FromMilliseconds(50)));
        byInterval.Enqueue([Entry(0)]);
        Assert.True(SpinWait.SpinUntil(() => byInterval.Written == 1, TimeSpan.FromSeconds(30)));

        using var tmp2 = new TempFolder();
        using var bySize = new EmbeddingCache(tmp2.Path, Id, 4, Cap(100) with { FlushEntries = 4 });
        bySize.Enqueue([Entry(0), Entry(1), Entry(2), Entry(3), Entry(4)]);
        Assert.True(SpinWait.SpinUntil(() => bySize.Written == 5, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void The_cap_from_the_environment_is_checked()
    {
        Assert.Equal(EmbeddingCacheOptions.DefaultMaxEntries, EmbeddingCacheOptions.ParseMaxEntries(null));
        Assert.Equal(EmbeddingCacheOptions.DefaultMaxEntries, EmbeddingCacheOptions.ParseMaxEntries(" "));
        Assert.Equal(5000, EmbeddingCacheOptions.ParseMaxEntries("5000"));
        var e = Assert.Throws<ArgumentException>(() => EmbeddingCacheOptions.ParseMaxEntries("lots"));
        Assert.Contains(EmbeddingCacheOptions.MaxEntriesVariable, e.Message);
        Assert.Throws<ArgumentException>(() => EmbeddingCacheOptions.ParseMaxEntries("0"));
        Assert.Throws<ArgumentException>(() => new EmbeddingCache(Path.GetTempPath(), Id, 4, new EmbeddingCacheOptions { MaxEntries = 0 }));
    }
}
