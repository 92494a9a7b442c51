using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using BayesianRouter.Data;
using BayesianRouter.Live;
using Microsoft.Data.Sqlite;

namespace BayesianRouter.Service;

/// <summary>How much a commit of the decision log survives (SQLite's <c>PRAGMA synchronous</c> in WAL mode).</summary>
public enum LogDurability
{
    /// <summary>Every commit waits for the WAL to reach the disk (fsync): it survives a crash of the process, the
    /// operating system or the power. The default.</summary>
    Full,

    /// <summary>Commits are in the WAL file (the OS page cache) but not fsynced: they survive a crash of the process
    /// (kill -9) but the last ones may be lost when the machine itself fails.</summary>
    Normal,
}

/// <summary>
/// The decision log of <c>bayesrouter serve</c> and <c>bayesrouter label</c>: an SQLite database
/// (<c>decisions.db</c>, WAL journal) with one table of decisions (pair id, features and their hash, the pair's domain
/// and group, the chosen RM and its probability, the fallback order, the label and the RMs that failed first), one of
/// feedback (batch, the sent loss or reward, the shaped reward), the session's cursor, and the idempotency keys of the
/// requests that wrote them (kept 24 hours). Decisions are indexed by pair id and keep a digest of their pair's texts,
/// so the service answers a pair id it already decided with the logged decision. Logs of schemas 1 (before decisions
/// kept their domain and group) and 2 (before texts digests and keys) are upgraded in place when opened.
/// <para>
/// Writes go through one writer thread with group commit: every write queued while a commit is under way goes into
/// the next transaction, so a burst of requests costs one fsync, and a request is acknowledged only when its
/// transaction committed (<see cref="Commits"/> and <see cref="Writes"/> count both). Statements are prepared once. A failed commit faults its writes and every later one (the
/// session then stops, and a restart recovers from what was committed).
/// </para>
/// </summary>
public sealed class SqliteDecisionStore : IDecisionStore
{
    public const string FileName = "decisions.db";
    private const int SchemaVersion = 3;

    /// <summary>How long an idempotency key is kept: a retry within this time of its first attempt is recognised.</summary>
    public static readonly TimeSpan KeyRetention = TimeSpan.FromHours(24);

    private readonly string _connectionString;
    private readonly SqliteConnection _write;
    private readonly SqliteConnection _read;
    private readonly object _readGate = new();
    private readonly BlockingCollection<WriteJob> _queue = new();
    private readonly Thread _writer;
    private IReadOnlyList<string> _pool = [];
    private Exception? _fault;
    private readonly SqliteCommand _insertDecision, _insertFeedback, _upsertCursor, _findDecision, _insertKey, _pruneKeys, _relabel, _cursorGenerators;
    private readonly ManualResetEventSlim _commitsAllowed = new(true);
    private long _commits, _writes;

    private SqliteDecisionStore(string directory, LogDurability durability)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, FileName);
        Durability = durability;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString();
        _write = new SqliteConnection(_connectionString);
        _write.Open();
        Execute(_write, "PRAGMA journal_mode=WAL;");
        Execute(_write, $"PRAGMA synchronous={(durability == LogDurability.Full ? "FULL" : "NORMAL")};");
        Execute(_write, "PRAGMA busy_timeout=10000;");
        Execute(_write, """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), next_sequence INTEGER NOT NULL, generators BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS decisions (
                seq INTEGER PRIMARY KEY, pair_id TEXT NOT NULL, features_hash TEXT NOT NULL, features BLOB NOT NULL,
                chosen INTEGER NOT NULL, probability REAL NOT NULL, fallback_order TEXT NOT NULL,
                label_arm INTEGER, label TEXT, score_a REAL, score_b REAL, fallback_from TEXT, error TEXT,
                created_ms INTEGER NOT NULL, domain TEXT, grp TEXT, texts_sha256 TEXT);
            CREATE TABLE IF NOT EXISTS feedback (
                seq INTEGER PRIMARY KEY, batch INTEGER NOT NULL, position INTEGER NOT NULL, arm INTEGER NOT NULL,
                kind TEXT NOT NULL, value REAL NOT NULL, reward REAL NOT NULL, created_ms INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS feedback_batch ON feedback (batch, position);
            CREATE TABLE IF NOT EXISTS request_keys (
                key TEXT PRIMARY KEY, endpoint TEXT NOT NULL, digest TEXT NOT NULL, batch INTEGER, created_ms INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS request_keys_created ON request_keys (created_ms);
            """);
        UpgradeSchema();
        Execute(_write, "CREATE INDEX IF NOT EXISTS decisions_pair ON decisions (pair_id, seq);");
        _read = new SqliteConnection(_connectionString);
        _read.Open();
        Execute(_read, "PRAGMA busy_timeout=10000;");

        _insertDecision = Prepare(_write, """
            INSERT INTO decisions (seq, pair_id, features_hash, features, chosen, probability, fallback_order,
                label_arm, label, score_a, score_b, fallback_from, error, created_ms, domain, grp, texts_sha256)
            VALUES ($seq, $pair, $hash, $features, $chosen, $p, $order, $label_arm, $label, $sa, $sb, $fallback, $error, $t, $domain, $grp, $texts)
            """, "$seq", "$pair", "$hash", "$features", "$chosen", "$p", "$order", "$label_arm", "$label", "$sa", "$sb", "$fallback", "$error", "$t", "$domain", "$grp", "$texts");
        _insertKey = Prepare(_write, """
            INSERT OR IGNORE INTO request_keys (key, endpoint, digest, batch, created_ms) VALUES ($key, $endpoint, $digest, $batch, $t)
            """, "$key", "$endpoint", "$digest", "$batch", "$t");
        _pruneKeys = Prepare(_write, "DELETE FROM request_keys WHERE created_ms < $before", "$before");
        _insertFeedback = Prepare(_write, """
            INSERT INTO feedback (seq, batch, position, arm, kind, value, reward, created_ms)
            VALUES ($seq, $batch, $pos, $arm, $kind, $value, $reward, $t)
            """, "$seq", "$batch", "$pos", "$arm", "$kind", "$value", "$reward", "$t");
        _upsertCursor = Prepare(_write, """
            INSERT INTO cursor (id, next_sequence, generators) VALUES (1, $next, $gen)
            ON CONFLICT (id) DO UPDATE SET next_sequence = excluded.next_sequence, generators = excluded.generators
            WHERE excluded.next_sequence > cursor.next_sequence
            """, "$next", "$gen");
        _relabel = Prepare(_write, """
            UPDATE decisions SET label_arm = $label_arm, label = $label, score_a = $sa, score_b = $sb, fallback_from = $fallback, error = $error
            WHERE seq = $seq AND label_arm IS NULL
            """, "$seq", "$label_arm", "$label", "$sa", "$sb", "$fallback", "$error");
        _cursorGenerators = Prepare(_write, "UPDATE cursor SET generators = $gen WHERE id = 1 AND next_sequence = $next", "$next", "$gen");
        _findDecision = Prepare(_read, """
            SELECT label_arm, features, EXISTS (SELECT 1 FROM feedback f WHERE f.seq = d.seq), domain, grp FROM decisions d WHERE d.seq = $seq
            """, "$seq");

        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "decision-log writer" };
        _writer.Start();
    }

    /// <summary>
    /// Schema 1 logs (no domain and group per decision) and schema 2 logs (no texts digest) get the missing columns,
    /// empty, and become schema 3 (the keys table and the pair id index are created for every log).
    /// </summary>
    private void UpgradeSchema()
    {
        using var tx = _write.BeginTransaction();
        using (var cmd = _write.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT value FROM meta WHERE key = 'schema'";
            if (cmd.ExecuteScalar() is not ("1" or "2")) return;
        }
        var columns = new HashSet<string>(StringComparer.Ordinal);
        using (var cmd = _write.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT name FROM pragma_table_info('decisions')";
            using var r = cmd.ExecuteReader();
            while (r.Read()) columns.Add(r.GetString(0));
        }
        foreach (var sql in new[] { columns.Contains("domain") ? null : "ALTER TABLE decisions ADD COLUMN domain TEXT",
                     columns.Contains("grp") ? null : "ALTER TABLE decisions ADD COLUMN grp TEXT",
                     columns.Contains("texts_sha256") ? null : "ALTER TABLE decisions ADD COLUMN texts_sha256 TEXT",
                     $"UPDATE meta SET value = '{SchemaVersion}' WHERE key = 'schema'" })
        {
            if (sql is null) continue;
            using var cmd = _write.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Opens (or creates) the log in <paramref name="directory"/>.</summary>
    public static SqliteDecisionStore Open(string directory, LogDurability durability = LogDurability.Full)
    {
        try
        {
            return new SqliteDecisionStore(directory, durability);
        }
        catch (SqliteException e)
        {
            throw new InvalidDataException($"{System.IO.Path.Combine(directory, FileName)}: not a usable decision log ({e.Message})", e);
        }
    }

    /// <summary>
    /// Opens an existing log for reading (off-policy evaluation, inspection): its pool, features and instance come
    /// from the log itself. Throws <see cref="FileNotFoundException"/> when the folder holds no log.
    /// </summary>
    public static SqliteDecisionStore OpenExisting(string directory)
    {
        var file = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(file)) throw new FileNotFoundException($"{directory}: no decision log ({FileName}) in this --state folder", file);
        var store = Open(directory);
        var meta = store.ReadMeta();
        if (!meta.TryGetValue("pool", out var pool) || !meta.TryGetValue("features", out var features))
        {
            store.Dispose();
            throw new InvalidDataException($"{file}: the decision log has no pool (it was never used)");
        }
        store.Attach(JsonSerializer.Deserialize<string[]>(pool)!, features);
        return store;
    }

    /// <summary>The pool the log was made for (after <see cref="Attach"/> or <see cref="OpenExisting"/>).</summary>
    public IReadOnlyList<string> Pool => _pool;

    /// <summary>The features id the log was made with.</summary>
    public string FeaturesId { get; private set; } = "";

    /// <summary>The database file.</summary>
    public string Path { get; }

    public LogDurability Durability { get; }

    public string InstanceId { get; private set; } = "";

    public string Attach(IReadOnlyList<string> pool, string featuresId)
    {
        var stored = ReadMeta();
        var poolText = JsonSerializer.Serialize(pool);
        if (stored.Count == 0)
        {
            InstanceId = Guid.NewGuid().ToString("N")[..8];
            using var tx = _write.BeginTransaction();
            foreach (var (k, v) in new[] { ("schema", SchemaVersion.ToString(CultureInfo.InvariantCulture)), ("instance", InstanceId), ("pool", poolText), ("features", featuresId) })
            {
                using var cmd = _write.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO meta (key, value) VALUES ($k, $v)";
                cmd.Parameters.AddWithValue("$k", k);
                cmd.Parameters.AddWithValue("$v", v);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
        else
        {
            if (stored.GetValueOrDefault("schema") != SchemaVersion.ToString(CultureInfo.InvariantCulture))
                throw new InvalidDataException($"{Path}: decision log schema {stored.GetValueOrDefault("schema")} is not supported (this build reads {SchemaVersion})");
            if (stored.GetValueOrDefault("pool") != poolText)
                throw new InvalidDataException($"{Path}: the state was made for the pool {stored.GetValueOrDefault("pool")}, not {poolText}: use another --state folder");
            if (stored.GetValueOrDefault("features") != featuresId)
                throw new InvalidDataException($"{Path}: the state was made with the features {stored.GetValueOrDefault("features")}, not {featuresId} (another router or encoder): use another --state folder");
            InstanceId = stored["instance"];
        }
        _pool = pool.ToArray();
        FeaturesId = featuresId;
        return InstanceId;
    }

    private Dictionary<string, string> ReadMeta()
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_readGate)
        {
            using var cmd = _read.CreateCommand();
            cmd.CommandText = "SELECT key, value FROM meta";
            using var r = cmd.ExecuteReader();
            while (r.Read()) meta[r.GetString(0)] = r.GetString(1);
        }
        return meta;
    }

    public Task AppendDecisionsAsync(IReadOnlyList<LabelledDecision> decisions, SessionCursor cursor) =>
        Enqueue(new WriteJob(decisions, cursor, null, null));

    /// <summary>Appends the decisions, the cursor and the request's idempotency key (kept <see cref="KeyRetention"/>) in one transaction.</summary>
    public Task AppendDecisionsAsync(IReadOnlyList<LabelledDecision> decisions, SessionCursor cursor, RequestKey? request) =>
        Enqueue(new WriteJob(decisions, cursor, null, request));

    public Task AppendFeedbackAsync(FeedbackBatch batch) => Enqueue(new WriteJob(null, null, batch, null));

    /// <summary>Appends the feedback batch and the request's idempotency key (with the batch number) in one transaction.</summary>
    public Task AppendFeedbackAsync(FeedbackBatch batch, RequestKey? request) => Enqueue(new WriteJob(null, null, batch, request));

    public Task FlushAsync() => Enqueue(new WriteJob(null, null, null, null));

    /// <summary>Transactions committed since the log was opened: one per group of writes that arrived together.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes (decision batches, feedback batches, flushes) committed since the log was opened.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>
    /// For tests of the group commit: no transaction starts until the returned handle is disposed (writes queue up,
    /// and none of them is acknowledged), so the writes queued meanwhile are committed together.
    /// </summary>
    internal IDisposable HoldCommits()
    {
        _commitsAllowed.Reset();
        return new Release(_commitsAllowed);
    }

    private sealed class Release(ManualResetEventSlim gate) : IDisposable
    {
        public void Dispose() => gate.Set();
    }

    public Task ReplaceLabelsAsync(IReadOnlyList<LabelledDecision> relabelled, SessionCursor cursor) =>
        Enqueue(new WriteJob(relabelled, cursor, null, null) { Relabel = true });

    private Task Enqueue(WriteJob job)
    {
        if (Volatile.Read(ref _fault) is { } fault) return Task.FromException(new IOException($"the decision log failed earlier: {fault.Message}", fault));
        try
        {
            _queue.Add(job);
        }
        catch (InvalidOperationException)
        {
            return Task.FromException(new ObjectDisposedException(nameof(SqliteDecisionStore), "the decision log is closed"));
        }
        return job.Done.Task;
    }

    private void WriterLoop()
    {
        var group = new List<WriteJob>();
        while (!_queue.IsCompleted)
        {
            if (!_queue.TryTake(out var first, Timeout.Infinite)) continue;
            _commitsAllowed.Wait();
            group.Clear();
            group.Add(first);
            while (group.Count < 512 && _queue.TryTake(out var next)) group.Add(next);
            try
            {
                if (_fault != null) throw _fault;
                Commit(group);
                Interlocked.Increment(ref _commits);
                Interlocked.Add(ref _writes, group.Count);
                foreach (var job in group) job.Done.TrySetResult();
            }
            catch (Exception e)
            {
                Volatile.Write(ref _fault, _fault ?? e);
                foreach (var job in group) job.Done.TrySetException(e);
            }
        }
    }

    private void Commit(List<WriteJob> group)
    {
        using var tx = _write.BeginTransaction();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var job in group)
        {
            if (job.Decisions is { } relabelled && job.Relabel)
            {
                foreach (var ld in relabelled) Relabel(tx, ld);
                _cursorGenerators.Transaction = tx;
                _cursorGenerators.Parameters[0].Value = job.Cursor!.NextSequence;
                _cursorGenerators.Parameters[1].Value = job.Cursor.Generators;
                _cursorGenerators.ExecuteNonQuery();
            }
            else if (job.Decisions is { } decisions)
            {
                foreach (var ld in decisions) InsertDecision(tx, ld, now);
                _upsertCursor.Transaction = tx;
                _upsertCursor.Parameters[0].Value = job.Cursor!.NextSequence;
                _upsertCursor.Parameters[1].Value = job.Cursor.Generators;
                _upsertCursor.ExecuteNonQuery();
            }
            if (job.Feedback is { } batch)
            {
                var p = _insertFeedback.Parameters;
                _insertFeedback.Transaction = tx;
                for (int i = 0; i < batch.Items.Count; i++)
                {
                    var f = batch.Items[i];
                    p[0].Value = f.Sequence;
                    p[1].Value = batch.Batch;
                    p[2].Value = i;
                    p[3].Value = f.Arm;
                    p[4].Value = f.IsLoss ? "loss" : "reward";
                    p[5].Value = f.Value;
                    p[6].Value = f.Reward;
                    p[7].Value = now;
                    _insertFeedback.ExecuteNonQuery();
                }
            }
            if (job.Request is { } key)
            {
                var p = _insertKey.Parameters;
                _insertKey.Transaction = tx;
                p[0].Value = key.Key;
                p[1].Value = key.Endpoint;
                p[2].Value = key.Digest;
                p[3].Value = (object?)job.Feedback?.Batch ?? DBNull.Value;
                p[4].Value = now;
                _insertKey.ExecuteNonQuery();
            }
        }
        if (_commits % 1024 == 0)
        {
            _pruneKeys.Transaction = tx;
            _pruneKeys.Parameters[0].Value = now - (long)KeyRetention.TotalMilliseconds;
            _pruneKeys.ExecuteNonQuery();
        }
        tx.Commit();
    }

    private void InsertDecision(SqliteTransaction tx, LabelledDecision ld, long now)
    {
        var (d, l) = (ld.Decision, ld.Label);
        var p = _insertDecision.Parameters;
        _insertDecision.Transaction = tx;
        p[0].Value = d.Sequence;
        p[1].Value = d.PairId;
        p[2].Value = d.FeaturesHash;
        p[3].Value = MemoryMarshal.AsBytes(d.Features.AsSpan()).ToArray();
        p[4].Value = d.Arm;
        p[5].Value = d.Probability;
        p[6].Value = string.Join(',', d.FallbackOrder);
        p[7].Value = (object?)l.Arm ?? DBNull.Value;
        p[8].Value = (object?)l.Preferred?.ToText() ?? DBNull.Value;
        p[9].Value = (object?)l.Judgment?.ScoreA ?? DBNull.Value;
        p[10].Value = (object?)l.Judgment?.ScoreB ?? DBNull.Value;
        p[11].Value = l.FallbackFrom.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(l.FallbackFrom.Select(f => new[] { f.Rm, f.Reason }));
        p[12].Value = (object?)l.Error ?? DBNull.Value;
        p[13].Value = now;
        p[14].Value = (object?)d.Domain ?? DBNull.Value;
        p[15].Value = (object?)d.Group ?? DBNull.Value;
        p[16].Value = (object?)d.TextsDigest ?? DBNull.Value;
        _insertDecision.ExecuteNonQuery();
    }

    /// <summary>A new label for a decision no RM could label (<see cref="ReplaceLabelsAsync"/>).</summary>
    private void Relabel(SqliteTransaction tx, LabelledDecision ld)
    {
        var l = ld.Label;
        var p = _relabel.Parameters;
        _relabel.Transaction = tx;
        p[0].Value = ld.Decision.Sequence;
        p[1].Value = (object?)l.Arm ?? DBNull.Value;
        p[2].Value = (object?)l.Preferred?.ToText() ?? DBNull.Value;
        p[3].Value = (object?)l.Judgment?.ScoreA ?? DBNull.Value;
        p[4].Value = (object?)l.Judgment?.ScoreB ?? DBNull.Value;
        p[5].Value = l.FallbackFrom.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(l.FallbackFrom.Select(f => new[] { f.Rm, f.Reason }));
        p[6].Value = (object?)l.Error ?? DBNull.Value;
        _relabel.ExecuteNonQuery();
    }

    public IReadOnlyDictionary<long, StoredDecision> FindDecisions(IReadOnlyCollection<long> sequences)
    {
        var found = new Dictionary<long, StoredDecision>(sequences.Count);
        lock (_readGate)
        {
            foreach (var seq in sequences)
            {
                _findDecision.Parameters[0].Value = seq;
                using var r = _findDecision.ExecuteReader();
                if (!r.Read()) continue;
                int? arm = r.IsDBNull(0) ? null : r.GetInt32(0);
                found[seq] = new StoredDecision(seq, arm, ToDoubles((byte[])r.GetValue(1)), r.GetInt64(2) != 0, NullableString(r, 3), NullableString(r, 4));
            }
        }
        return found;
    }

    private static double[] ToDoubles(byte[] bytes) => MemoryMarshal.Cast<byte, double>(bytes).ToArray();

    private static string? NullableString(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : r.GetString(column);

    public SessionCursor? ReadCursor()
    {
        lock (_readGate)
        {
            using var cmd = _read.CreateCommand();
            cmd.CommandText = "SELECT next_sequence, generators FROM cursor WHERE id = 1";
            using var r = cmd.ExecuteReader();
            return r.Read() ? new SessionCursor(r.GetInt64(0), (byte[])r.GetValue(1)) : null;
        }
    }

    public IEnumerable<FeedbackBatch> ReadFeedback(long afterBatch)
    {
        using var conn = new SqliteConnection(_connectionString);
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            SELECT f.batch, f.seq, f.arm, d.features, f.kind, f.value, f.reward, d.domain, d.grp FROM feedback f JOIN decisions d ON d.seq = f.seq
            WHERE f.batch > $after ORDER BY f.batch, f.position
            """;
        cmd.Parameters.AddWithValue("$after", afterBatch);
        using var r = cmd.ExecuteReader();
        long current = -1;
        var items = new List<FeedbackRecord>();
        while (r.Read())
        {
            long batch = r.GetInt64(0);
            if (batch != current && items.Count > 0)
            {
                yield return new FeedbackBatch(current, items);
                items = [];
            }
            current = batch;
            items.Add(new FeedbackRecord(r.GetInt64(1), r.GetInt32(2), ToDoubles((byte[])r.GetValue(3)), r.GetString(4) == "loss", r.GetDouble(5), r.GetDouble(6),
                NullableString(r, 7), NullableString(r, 8)));
        }
        if (items.Count > 0) yield return new FeedbackBatch(current, items);
    }

    private const string EntryColumns = """
        d.seq, d.pair_id, d.features_hash, d.features, d.chosen, d.probability, d.fallback_order,
        d.label_arm, d.label, d.score_a, d.score_b, d.fallback_from, d.error,
        f.arm, f.kind, f.value, f.reward, d.domain, d.grp, d.texts_sha256
        """;

    public IEnumerable<DecisionLogEntry> ReadDecisions()
    {
        using var conn = new SqliteConnection(_connectionString);
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT {EntryColumns} FROM decisions d LEFT JOIN feedback f ON f.seq = d.seq ORDER BY d.seq";
        using var r = cmd.ExecuteReader();
        while (r.Read()) yield return Entry(r);
    }

    /// <summary>
    /// The first logged decision of each pair id among <paramref name="pairIds"/> with its label and feedback (pair ids
    /// never decided are left out). The service answers a pair id it already decided with this decision.
    /// </summary>
    internal IReadOnlyDictionary<string, DecisionLogEntry> FindByPairIds(IReadOnlyCollection<string> pairIds)
    {
        var found = new Dictionary<string, DecisionLogEntry>(StringComparer.Ordinal);
        if (pairIds.Count == 0) return found;
        lock (_readGate)
        {
            using var cmd = _read.CreateCommand();
            cmd.CommandText = $"SELECT {EntryColumns} FROM decisions d LEFT JOIN feedback f ON f.seq = d.seq WHERE d.pair_id = $pair ORDER BY d.seq LIMIT 1";
            var parameter = cmd.Parameters.Add(new SqliteParameter { ParameterName = "$pair" });
            cmd.Prepare();
            foreach (var id in pairIds)
            {
                if (found.ContainsKey(id)) continue;
                parameter.Value = id;
                using var r = cmd.ExecuteReader();
                if (r.Read()) found[id] = Entry(r);
            }
        }
        return found;
    }

    /// <summary>A request's idempotency key as logged: its endpoint, content digest and (feedback) batch.</summary>
    internal sealed record StoredKey(string Endpoint, string Digest, long? Batch);

    /// <summary>The logged idempotency key <paramref name="key"/>, or null (never logged, or older than <see cref="KeyRetention"/>).</summary>
    internal StoredKey? FindKey(string key)
    {
        lock (_readGate)
        {
            using var cmd = _read.CreateCommand();
            cmd.CommandText = "SELECT endpoint, digest, batch FROM request_keys WHERE key = $key";
            cmd.Parameters.AddWithValue("$key", key);
            using var r = cmd.ExecuteReader();
            return r.Read() ? new StoredKey(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt64(2)) : null;
        }
    }

    /// <summary>The feedback batch of each decision among <paramref name="sequences"/> that had feedback.</summary>
    internal IReadOnlyDictionary<long, long> FeedbackBatchesOf(IReadOnlyCollection<long> sequences)
    {
        var found = new Dictionary<long, long>();
        lock (_readGate)
        {
            using var cmd = _read.CreateCommand();
            cmd.CommandText = "SELECT batch FROM feedback WHERE seq = $seq";
            var parameter = cmd.Parameters.Add(new SqliteParameter { ParameterName = "$seq" });
            cmd.Prepare();
            foreach (var seq in sequences)
            {
                parameter.Value = seq;
                if (cmd.ExecuteScalar() is long batch) found[seq] = batch;
            }
        }
        return found;
    }

    /// <summary>One row of <see cref="EntryColumns"/> as a decision with its label and feedback.</summary>
    private DecisionLogEntry Entry(SqliteDataReader r)
    {
        long seq = r.GetInt64(0);
        var features = ToDoubles((byte[])r.GetValue(3));
        int chosen = r.GetInt32(4);
        var decision = new Decision
        {
            DecisionId = $"{InstanceId}-{seq}",
            Sequence = seq,
            PairId = r.GetString(1),
            FeaturesHash = r.GetString(2),
            Features = features,
            Arm = chosen,
            Rm = _pool[chosen],
            Probability = r.GetDouble(5),
            FallbackOrder = r.GetString(6).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
            Domain = NullableString(r, 17),
            Group = NullableString(r, 18),
            TextsDigest = NullableString(r, 19),
        };
        var failures = r.IsDBNull(11) ? [] : JsonSerializer.Deserialize<string[][]>(r.GetString(11))!.Select(f => new FailedRm(f[0], f[1])).ToArray();
        LabelOutcome label;
        if (r.IsDBNull(7)) label = LabelOutcome.Unlabelled(failures, r.IsDBNull(12) ? null : r.GetString(12));
        else
        {
            int arm = r.GetInt32(7);
            var judgment = r.IsDBNull(9)
                ? Judgment.FromVerdict(PreferenceText.TryParse(r.GetString(8), out var p) ? p : throw new InvalidDataException($"{Path}: decision {seq} has label {r.GetString(8)}"))
                : Judgment.FromScores(r.GetDouble(9), r.GetDouble(10));
            label = LabelOutcome.Labelled(_pool[arm], arm, judgment, failures);
        }
        FeedbackRecord? feedback = r.IsDBNull(13) ? null
            : new FeedbackRecord(seq, r.GetInt32(13), features, r.GetString(14) == "loss", r.GetDouble(15), r.GetDouble(16), decision.Domain, decision.Group);
        return new DecisionLogEntry(decision, label, feedback);
    }

    public LogCounts Counts()
    {
        int arms = _pool.Count;
        var counts = new LogCounts(0, 0, new long[arms], new long[arms], new long[arms], new double[arms]);
        long decisions = 0, feedback = 0;
        lock (_readGate)
        {
            using (var cmd = _read.CreateCommand())
            {
                cmd.CommandText = "SELECT chosen, label_arm, count(*) FROM decisions GROUP BY chosen, label_arm";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    long n = r.GetInt64(2);
                    decisions += n;
                    counts.Chosen[r.GetInt32(0)] += n;
                    if (!r.IsDBNull(1)) counts.Labelled[r.GetInt32(1)] += n;
                }
            }
            using (var cmd = _read.CreateCommand())
            {
                // Summed in the order the session learned them, so the sums equal those of a session that never stopped.
                cmd.CommandText = "SELECT arm, reward FROM feedback ORDER BY batch, position";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    int arm = r.GetInt32(0);
                    feedback++;
                    counts.FeedbackPerArm[arm]++;
                    counts.RewardSum[arm] += r.GetDouble(1);
                }
            }
        }
        return counts with { Decisions = decisions, Feedback = feedback };
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _writer.Join();
        _insertDecision.Dispose();
        _insertFeedback.Dispose();
        _upsertCursor.Dispose();
        _findDecision.Dispose();
        _insertKey.Dispose();
        _pruneKeys.Dispose();
        _commitsAllowed.Dispose();
        _relabel.Dispose();
        _cursorGenerators.Dispose();
        _write.Dispose();
        _read.Dispose();
        _queue.Dispose();
    }

    private static void Execute(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static SqliteCommand Prepare(SqliteConnection conn, string sql, params string[] parameters)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
        cmd.Prepare();
        return cmd;
    }

    private sealed class WriteJob(IReadOnlyList<LabelledDecision>? decisions, SessionCursor? cursor, FeedbackBatch? feedback, RequestKey? request)
    {
        public IReadOnlyList<LabelledDecision>? Decisions { get; } = decisions;
        public SessionCursor? Cursor { get; } = cursor;
        public FeedbackBatch? Feedback { get; } = feedback;
        public RequestKey? Request { get; } = request;

        /// <summary>The decisions are relabelled ones to update, not new ones to insert.</summary>
        public bool Relabel { get; init; }
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
