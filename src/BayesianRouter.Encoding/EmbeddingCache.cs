using BayesianRouter.IO;

namespace BayesianRouter.Encoding;

/// <summary>
/// A persistent cache of embeddings on disk, keyed by encoder id (which holds the truncation) and the SHA-256 of
/// each input (<see cref="EncoderInput.Key"/>). One folder per encoder; inside it, append-only shard files
/// (<see cref="CacheShard"/>), each written whole through a temporary file and a rename, so readers never see a
/// half-written shard. A corrupt or partial shard is reported, deleted and its entries encoded again: never trusted.
/// Two processes may share a cache: each writes its own shards; at worst both encode the same texts.
/// </summary>
public sealed class EmbeddingCache
{
    /// <summary>Shards beyond this many are merged into one when the cache is opened.</summary>
    public const int MaxShards = 16;

    private readonly Dictionary<TextKey, float[]> _entries = new();
    private readonly List<string> _problems = new();

    /// <summary>Opens (and reads) the cache of one encoder under <paramref name="root"/>; creates nothing until something is added.</summary>
    public EmbeddingCache(string root, string encoderId, int dimension)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ArgumentException("the cache folder is empty");
        EncoderId = encoderId;
        Dimension = dimension;
        Folder = Path.Combine(Path.GetFullPath(root), FolderName(encoderId));
        Load();
    }

    /// <summary>
    /// The default cache root: <c>$BAYESROUTER_CACHE</c> when set, else <c>$XDG_CACHE_HOME/bayesrouter/embeddings</c>,
    /// else <c>~/.cache/bayesrouter/embeddings</c>.
    /// </summary>
    public static string DefaultRoot()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("BAYESROUTER_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return explicitRoot;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "bayesrouter", "embeddings");
    }

    /// <summary>A readable, file-system-safe folder name, made unique by a hash of the full id.</summary>
    public static string FolderName(string encoderId)
    {
        var slug = new string(encoderId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '=' ? c : '_').ToArray());
        if (slug.Length > 80) slug = slug[..80];
        return $"{slug}-{StableHash.Hex(encoderId, 16)}";
    }

    public string EncoderId { get; }
    public int Dimension { get; }

    /// <summary>This encoder's folder.</summary>
    public string Folder { get; }

    public int Count => _entries.Count;

    /// <summary>What was wrong with the shards found when opening (each was deleted and its entries will be encoded again).</summary>
    public IReadOnlyList<string> Problems => _problems;

    public bool TryGet(TextKey key, out float[] vector) => _entries.TryGetValue(key, out vector!);

    /// <summary>Adds entries and writes them as one new shard (atomically). Entries already cached are skipped.</summary>
    public void Add(IReadOnlyList<(TextKey Key, float[] Vector)> entries)
    {
        var fresh = new List<(TextKey, float[])>(entries.Count);
        foreach (var (key, vector) in entries)
        {
            if (vector.Length != Dimension) throw new ArgumentException($"embedding has dimension {vector.Length}, the cache holds {Dimension}");
            if (_entries.TryAdd(key, vector)) fresh.Add((key, vector));
        }
        if (fresh.Count > 0) WriteShard(fresh);
    }

    private void WriteShard(IReadOnlyList<(TextKey, float[])> entries)
    {
        var name = $"shard-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Environment.ProcessId}-{Guid.NewGuid():N}.bin";
        AtomicFile.Write(Path.Combine(Folder, name), s => CacheShard.Write(s, EncoderId, Dimension, entries));
    }

    private void Load()
    {
        if (!Directory.Exists(Folder)) return;
        var valid = new List<string>();
        foreach (var path in Directory.EnumerateFiles(Folder, "shard-*.bin").Order(StringComparer.Ordinal))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (FileNotFoundException)
            {
                continue; // merged away by another process since we listed the folder
            }
            try
            {
                foreach (var (key, vector) in CacheShard.Read(path, bytes, EncoderId, Dimension)) _entries[key] = vector;
                valid.Add(path);
            }
            catch (InvalidDataException e)
            {
                _problems.Add(e.Message);
                TryDelete(path);
            }
        }
        RemoveStaleTemporaryFiles();
        if (valid.Count > MaxShards) Compact(valid);
    }

    /// <summary>Merges every valid shard into one, then removes the merged ones (another process may still list them: it skips them).</summary>
    private void Compact(List<string> merged)
    {
        WriteShard(_entries.Select(kv => (kv.Key, kv.Value)).ToList());
        foreach (var path in merged) TryDelete(path);
    }

    /// <summary>Temporary files of writers that died; a live writer's are minutes old at most.</summary>
    private void RemoveStaleTemporaryFiles()
    {
        foreach (var path in Directory.EnumerateFiles(Folder, ".shard-*.tmp"))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > TimeSpan.FromDays(1)) File.Delete(path);
            }
            catch (IOException) { }
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
