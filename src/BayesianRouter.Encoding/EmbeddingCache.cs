using BayesianRouter.IO;

namespace BayesianRouter.Encoding;

/// <summary>
/// A persistent, bounded cache of embeddings, keyed by encoder id (which holds the truncation) and the SHA-256 of
/// each input (<see cref="EncoderInput.Key"/>). One folder per encoder; inside it, append-only shard files
/// (<see cref="CacheShard"/>), each written whole through a temporary file and a rename, so readers never see a
/// half-written shard. A corrupt or partial shard is reported, deleted and its entries encoded again: never trusted.
/// Two processes may share a cache: each writes its own shards; at worst both encode the same texts.
/// <para>
/// Bounded (<see cref="EmbeddingCacheOptions.MaxEntries"/>): memory holds at most that many embeddings, evicting
/// with CLOCK (a used entry gets a second chance); the disk holds about as many, deleting the oldest shards first,
/// after writing again the entries of a deleted shard that are still in memory and were used since. Writes are either
/// synchronous (<see cref="Add"/>: a batch job that must keep its work when interrupted) or write-behind
/// (<see cref="Enqueue"/>: a service, whose requests must not wait for the disk): queued entries are written as one
/// shard every <see cref="EmbeddingCacheOptions.FlushInterval"/> or <see cref="EmbeddingCacheOptions.FlushEntries"/>
/// entries, and at <see cref="Flush"/> or <see cref="Dispose"/>. Thread-safe.
/// </para>
/// </summary>
public sealed class EmbeddingCache : IDisposable
{
    /// <summary>Small shards beyond this many are merged into one when the cache is opened.</summary>
    public const int MaxShards = 16;

    private readonly object _gate = new();      // memory: slots, index, pending writes, problems
    private readonly object _writeGate = new(); // disk: one writer at a time
    private readonly Dictionary<TextKey, int> _slotOf = new();
    private Slot[] _slots = [];
    private int _used, _hand;
    private List<(TextKey Key, float[] Vector)> _pending = new();
    private readonly List<string> _problems = new();
    private readonly SemaphoreSlim _signal = new(0);
    private CancellationTokenSource? _stop;
    private Task? _writer;
    private long _evicted, _dropped, _written;
    private bool _disposed;

    private struct Slot
    {
        public TextKey Key;
        public float[] Vector;
        public bool Referenced; // CLOCK's bit: used since the hand last passed
        public bool Used;       // used since it was last written to disk: rewritten when its shard is evicted
    }

    /// <summary>Opens (and reads) the cache of one encoder under <paramref name="root"/>, with the default cap; creates nothing until something is added.</summary>
    public EmbeddingCache(string root, string encoderId, int dimension)
        : this(root, encoderId, dimension, null)
    {
    }

    /// <summary>Opens (and reads) the cache of one encoder under <paramref name="root"/>; creates nothing until something is added.</summary>
    public EmbeddingCache(string root, string encoderId, int dimension, EmbeddingCacheOptions? options)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ArgumentException("the cache folder is empty");
        Options = options ?? new EmbeddingCacheOptions();
        Options.Validate();
        EncoderId = encoderId;
        Dimension = dimension;
        Folder = Path.Combine(Path.GetFullPath(root), FolderName(encoderId));
        _idBytes = System.Text.Encoding.UTF8.GetByteCount(encoderId);
        Load();
    }

    private readonly int _idBytes;

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
    public EmbeddingCacheOptions Options { get; }

    /// <summary>This encoder's folder.</summary>
    public string Folder { get; }

    /// <summary>Embeddings held in memory (at most <see cref="EmbeddingCacheOptions.MaxEntries"/>).</summary>
    public int Count
    {
        get { lock (_gate) return _used; }
    }

    /// <summary>Embeddings evicted from memory to stay within the cap, over this instance's lifetime.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Queued embeddings dropped unwritten because the writer fell more than a cap behind (they stay usable in memory until evicted).</summary>
    public long DroppedWrites => Interlocked.Read(ref _dropped);

    /// <summary>Embeddings written to shards by this instance.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Embeddings queued for the write-behind writer, not yet on disk.</summary>
    public int PendingWrites
    {
        get { lock (_gate) return _pending.Count; }
    }

    /// <summary>
    /// What was wrong with the shards found when opening (each was deleted and its entries will be encoded again),
    /// and any write-behind write that failed (the entries stay in memory).
    /// </summary>
    public IReadOnlyList<string> Problems
    {
        get { lock (_gate) return _problems.ToArray(); }
    }

    public bool TryGet(TextKey key, out float[] vector)
    {
        lock (_gate)
        {
            if (_slotOf.TryGetValue(key, out var s))
            {
                _slots[s].Referenced = true;
                _slots[s].Used = true;
                vector = _slots[s].Vector;
                return true;
            }
        }
        vector = null!;
        return false;
    }

    /// <summary>Adds entries and writes the new ones as one new shard (atomically) before returning. Entries already cached are skipped.</summary>
    public void Add(IReadOnlyList<(TextKey Key, float[] Vector)> entries)
    {
        var fresh = InsertAll(entries, queue: false);
        if (fresh.Count == 0) return;
        lock (_writeGate)
        {
            WriteShard(fresh);
            EnforceDiskCap();
        }
    }

    /// <summary>
    /// Adds entries to memory at once and queues the new ones for the write-behind writer (started on first use):
    /// the caller never waits for the disk. Entries already cached are skipped.
    /// </summary>
    public void Enqueue(IReadOnlyList<(TextKey Key, float[] Vector)> entries)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var fresh = InsertAll(entries, queue: true);
        if (fresh.Count == 0) return;
        EnsureWriter();
        if (PendingWrites >= Options.FlushEntries && _signal.CurrentCount == 0) _signal.Release();
    }

    /// <summary>Writes every queued entry now (one shard), then keeps the disk within the cap.</summary>
    public void Flush()
    {
        lock (_writeGate)
        {
            List<(TextKey, float[])> batch;
            lock (_gate)
            {
                if (_pending.Count == 0) return;
                batch = _pending;
                _pending = new();
            }
            WriteShard(batch);
            EnforceDiskCap();
        }
    }

    /// <summary>Stops the writer and writes what it had queued.</summary>
    public void Dispose()
    {
        Task? writer;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            writer = _writer;
        }
        if (writer != null)
        {
            _stop!.Cancel();
            try { writer.GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { }
        }
        try
        {
            Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_gate) _problems.Add($"{Folder}: could not write the last {PendingWrites} embeddings ({e.Message})");
        }
        _stop?.Dispose();
        _signal.Dispose();
    }

    private List<(TextKey, float[])> InsertAll(IReadOnlyList<(TextKey Key, float[] Vector)> entries, bool queue)
    {
        foreach (var (_, vector) in entries)
            if (vector.Length != Dimension) throw new ArgumentException($"embedding has dimension {vector.Length}, the cache holds {Dimension}");
        var fresh = new List<(TextKey, float[])>(entries.Count);
        lock (_gate)
        {
            foreach (var (key, vector) in entries)
                if (Insert(key, vector)) fresh.Add((key, vector));
            if (queue && fresh.Count > 0)
            {
                _pending.AddRange(fresh);
                int excess = _pending.Count - Options.MaxEntries;
                if (excess > 0)
                {
                    _pending.RemoveRange(0, excess);
                    _dropped += excess;
                }
            }
        }
        return fresh;
    }

    /// <summary>Puts an entry in memory (under <see cref="_gate"/>), evicting with CLOCK when full; false when already there.</summary>
    private bool Insert(TextKey key, float[] vector)
    {
        if (_slotOf.ContainsKey(key)) return false;
        if (_used < Options.MaxEntries)
        {
            if (_used == _slots.Length) Array.Resize(ref _slots, (int)Math.Min(Options.MaxEntries, Math.Max(16L, 2L * _slots.Length)));
            _slots[_used] = new Slot { Key = key, Vector = vector };
            _slotOf[key] = _used++;
            return true;
        }
        while (true)
        {
            if (_hand >= _used) _hand = 0;
            ref var slot = ref _slots[_hand];
            if (slot.Referenced)
            {
                slot.Referenced = false; // second chance
                _hand++;
                continue;
            }
            _slotOf.Remove(slot.Key);
            slot = new Slot { Key = key, Vector = vector };
            _slotOf[key] = _hand++;
            _evicted++;
            return true;
        }
    }

    private void EnsureWriter()
    {
        lock (_gate)
        {
            if (_writer != null || _disposed) return;
            _stop = new CancellationTokenSource();
            var stop = _stop.Token;
            _writer = Task.Run(() => WriteLoop(stop));
        }
    }

    private async Task WriteLoop(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(Options.FlushInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                lock (_gate)
                {
                    if (_problems.Count < 100) _problems.Add($"{Folder}: could not write embeddings ({e.Message}); they stay in memory");
                }
            }
        }
    }

    private void WriteShard(IReadOnlyList<(TextKey, float[])> entries)
    {
        var name = $"shard-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Environment.ProcessId}-{Guid.NewGuid():N}.bin";
        AtomicFile.Write(Path.Combine(Folder, name), s => CacheShard.Write(s, EncoderId, Dimension, entries));
        Interlocked.Add(ref _written, entries.Count);
    }

    /// <summary>This encoder's shards, oldest first, with their entry counts (from their lengths).</summary>
    private List<(string Path, long Entries)> ListShards()
    {
        var shards = new List<(string, long)>();
        if (!Directory.Exists(Folder)) return shards;
        long record = TextKey.ByteLength + 4L * Dimension, overhead = 28 + _idBytes + 32;
        foreach (var path in Directory.EnumerateFiles(Folder, "shard-*.bin").Order(StringComparer.Ordinal))
        {
            try
            {
                shards.Add((path, Math.Max(0, (new FileInfo(path).Length - overhead) / record)));
            }
            catch (IOException) { }
        }
        return shards;
    }

    /// <summary>Embeddings in this encoder's shards on disk (counted from the files' lengths).</summary>
    public long DiskEntries() => ListShards().Sum(s => s.Entries);

    /// <summary>
    /// Deletes the oldest shards (never the newest) while the disk holds more than the cap; entries of a deleted shard
    /// that are still in memory and were used since they were written are written again, in one new shard.
    /// </summary>
    private void EnforceDiskCap()
    {
        var shards = ListShards();
        long total = shards.Sum(s => s.Entries);
        var again = new List<(TextKey, float[])>();
        for (int i = 0; i < shards.Count - 1 && total > Options.MaxEntries; i++)
        {
            var (path, count) = shards[i];
            try
            {
                foreach (var (key, _) in CacheShard.Read(path, File.ReadAllBytes(path), EncoderId, Dimension))
                    lock (_gate)
                    {
                        if (_slotOf.TryGetValue(key, out var s) && _slots[s].Used)
                        {
                            _slots[s].Used = false;
                            again.Add((key, _slots[s].Vector));
                        }
                    }
            }
            catch (Exception e) when (e is IOException or InvalidDataException) { }
            TryDelete(path);
            total -= count;
        }
        if (again.Count > 0) WriteShard(again);
    }

    private void Load()
    {
        if (!Directory.Exists(Folder)) return;
        var small = new List<(string Path, List<(TextKey Key, float[] Vector)> Entries)>();
        int valid = 0;
        foreach (var path in Directory.EnumerateFiles(Folder, "shard-*.bin").Order(StringComparer.Ordinal))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (FileNotFoundException)
            {
                continue; // merged or evicted by another process since we listed the folder
            }
            try
            {
                var entries = CacheShard.Read(path, bytes, EncoderId, Dimension);
                lock (_gate)
                {
                    foreach (var (key, vector) in entries)
                        if (_slotOf.TryGetValue(key, out var s)) _slots[s].Vector = vector;
                        else Insert(key, vector);
                }
                valid++;
                if (entries.Count < Math.Max(1, Options.FlushEntries / 4)) small.Add((path, entries));
            }
            catch (InvalidDataException e)
            {
                _problems.Add(e.Message);
                TryDelete(path);
            }
        }
        _evicted = 0; // evictions while loading are the disk holding more than the cap, not use
        RemoveStaleTemporaryFiles();
        if (valid > MaxShards && small.Count > 1) Compact(small);
        if (DiskEntries() > Options.MaxEntries)
            lock (_writeGate) EnforceDiskCap();
    }

    /// <summary>Merges small shards into one (their entries still in memory), then removes them (another process may still list them: it skips them).</summary>
    private void Compact(List<(string Path, List<(TextKey Key, float[] Vector)> Entries)> small)
    {
        var keep = new List<(TextKey, float[])>();
        var seen = new HashSet<TextKey>();
        lock (_gate)
        {
            foreach (var (_, entries) in small)
                foreach (var (key, _) in entries)
                    if (seen.Add(key) && _slotOf.TryGetValue(key, out var s)) keep.Add((key, _slots[s].Vector));
        }
        lock (_writeGate)
        {
            if (keep.Count > 0) WriteShard(keep);
            foreach (var (path, _) in small) TryDelete(path);
        }
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
