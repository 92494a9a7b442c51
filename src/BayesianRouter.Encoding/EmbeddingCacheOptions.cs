using System.Globalization;

namespace BayesianRouter.Encoding;

/// <summary>Bounds and write-behind settings of an <see cref="EmbeddingCache"/>.</summary>
public sealed record EmbeddingCacheOptions
{
    /// <summary>The default cap: 100,000 embeddings (at 384 dimensions, about 160 MB in memory and 157 MB on disk).</summary>
    public const int DefaultMaxEntries = 100_000;

    /// <summary>The environment variable that overrides <see cref="DefaultMaxEntries"/> for every command.</summary>
    public const string MaxEntriesVariable = "BAYESROUTER_CACHE_MAX_ENTRIES";

    /// <summary>
    /// Most embeddings held in memory, and (about) on disk: beyond it the least recently used are evicted from memory
    /// (CLOCK, second chance) and the oldest shards from disk (their entries still in use are written again).
    /// Default: <c>$BAYESROUTER_CACHE_MAX_ENTRIES</c>, else <see cref="DefaultMaxEntries"/>.
    /// </summary>
    public int MaxEntries { get; init; } = MaxEntriesFromEnvironment();

    /// <summary>Write-behind: new embeddings are written as one shard once this many wait (or after <see cref="FlushInterval"/>).</summary>
    public int FlushEntries { get; init; } = 4096;

    /// <summary>Write-behind: the longest a new embedding waits in memory before it is written.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The cap from <c>$BAYESROUTER_CACHE_MAX_ENTRIES</c>, else <see cref="DefaultMaxEntries"/>.</summary>
    /// <exception cref="ArgumentException">The variable is set but not a whole number of at least 1.</exception>
    public static int MaxEntriesFromEnvironment() => ParseMaxEntries(Environment.GetEnvironmentVariable(MaxEntriesVariable));

    /// <summary>The cap a value of <c>$BAYESROUTER_CACHE_MAX_ENTRIES</c> gives (unset or blank: the default).</summary>
    internal static int ParseMaxEntries(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return DefaultMaxEntries;
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw new ArgumentException($"{MaxEntriesVariable}={text}: must be a whole number of at least 1 (embeddings the cache may hold)");
        return n;
    }

    internal void Validate()
    {
        if (MaxEntries < 1) throw new ArgumentException($"the embedding cache's cap must be at least 1 entry, got {MaxEntries}");
        if (FlushEntries < 1) throw new ArgumentException($"the cache's flush size must be at least 1 entry, got {FlushEntries}");
        if (FlushInterval <= TimeSpan.Zero) throw new ArgumentException($"the cache's flush interval must be positive, got {FlushInterval}");
    }
}
