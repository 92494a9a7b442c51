using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;
using Microsoft.Data.Sqlite;

namespace BayesianRouter.Service.Tests;

/// <summary>The SQLite decision log: group commit, idempotency keys, lookups by pair id, and the schema 2 upgrade.</summary>
public class DecisionLogTests
{
    private static string NewFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "br-log-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static LabelledDecision Decided(long seq, string pair, string? texts = null) => new(new Decision
    {
        DecisionId = $"i-{seq}", Sequence = seq, PairId = pair, Arm = 0, Rm = "rm0", Probability = 0.5, FallbackOrder = [0, 1],
        Features = [seq, 1.0], FeaturesHash = Decision.HashFeatures([seq, 1.0]), TextsDigest = texts,
    }, LabelOutcome.Labelled("rm0", 0, Judgment.FromVerdict(Preference.A), []));

    [Fact]
    public async Task Writes_that_arrive_together_share_one_commit_and_none_is_acknowledged_before_it()
    {
        var dir = NewFolder();
        try
        {
            using var store = SqliteDecisionStore.Open(dir);
            store.Attach(["rm0", "rm1"], "f");
            Task[] writes;
            using (store.HoldCommits())
            {
                writes = Enumerable.Range(0, 64).Select(i => store.AppendDecisionsAsync([Decided(i, $"p{i}")], new SessionCursor(i + 1, [1]))).ToArray();
                await Task.Delay(300);
                Assert.All(writes, w => Assert.False(w.IsCompleted)); // nothing is answered before its commit
                Assert.Equal(0, store.Commits);
            }
            await Task.WhenAll(writes);
            Assert.Equal(1, store.Commits); // one transaction, one fsync, for the 64 writes that queued up together
            Assert.Equal(64, store.Writes);
            Assert.Equal(64, store.ReadDecisions().Count());
            await store.FlushAsync();
            Assert.Equal(2, store.Commits);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Keys_are_logged_with_their_writes_and_decisions_are_found_by_pair_id_with_their_texts_digest()
    {
        var dir = NewFolder();
        try
        {
            var texts = Decision.DigestTexts(new PairText("q", "a", "b"));
            Assert.NotEqual(texts, Decision.DigestTexts(new PairText("q", "ab", "")));  // the texts are length-prefixed
            using (var store = SqliteDecisionStore.Open(dir))
            {
                store.Attach(["rm0", "rm1"], "f");
                await store.AppendDecisionsAsync([Decided(0, "p0", texts), Decided(1, "p1")], new SessionCursor(2, [1]), new RequestKey("k1", "/v1/label", "d1"));
                await store.AppendDecisionsAsync([Decided(2, "p0")], new SessionCursor(3, [1])); // an old log may hold an id twice: the first counts
                var batch = new FeedbackBatch(1, [new FeedbackRecord(1, 0, [1.0, 1.0], true, 0.3, 0.5)]);
                await store.AppendFeedbackAsync(batch, new RequestKey("k2", "/v1/feedback", "d2"));
            }
            using var reopened = SqliteDecisionStore.OpenExisting(dir);
            var found = reopened.FindByPairIds(["p0", "p1", "nope"]);
            Assert.Equal(["p0", "p1"], found.Keys.Order());
            Assert.Equal((0, texts), (found["p0"].Decision.Sequence, found["p0"].Decision.TextsDigest));
            Assert.Null(found["p1"].Decision.TextsDigest);
            Assert.NotNull(found["p1"].Feedback);
            Assert.Equal(new SqliteDecisionStore.StoredKey("/v1/label", "d1", null), reopened.FindKey("k1"));
            Assert.Equal(new SqliteDecisionStore.StoredKey("/v1/feedback", "d2", 1), reopened.FindKey("k2"));
            Assert.Null(reopened.FindKey("k3"));
            Assert.Equal(new Dictionary<long, long> { [1] = 1 }, reopened.FeedbackBatchesOf([0, 1]));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_log_of_schema_2_is_upgraded_in_place_and_keeps_its_decisions()
    {
        var dir = NewFolder();
        try
        {
            using (var conn = new SqliteConnection($"Data Source={Path.Combine(dir, SqliteDecisionStore.FileName)};Pooling=False"))
            {
                conn.Open();
                using var cmd = conn.CreateCommand();
                cmd.CommandText = """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE cursor (id INTEGER PRIMARY KEY CHECK (id = 1), next_sequence INTEGER NOT NULL, generators BLOB NOT NULL);
                    CREATE TABLE decisions (
                        seq INTEGER PRIMARY KEY, pair_id TEXT NOT NULL, features_hash TEXT NOT NULL, features BLOB NOT NULL,
                        chosen INTEGER NOT NULL, probability REAL NOT NULL, fallback_order TEXT NOT NULL,
                        label_arm INTEGER, label TEXT, score_a REAL, score_b REAL, fallback_from TEXT, error TEXT,
                        created_ms INTEGER NOT NULL, domain TEXT, grp TEXT);
                    CREATE TABLE feedback (
                        seq INTEGER PRIMARY KEY, batch INTEGER NOT NULL, position INTEGER NOT NULL, arm INTEGER NOT NULL,
                        kind TEXT NOT NULL, value REAL NOT NULL, reward REAL NOT NULL, created_ms INTEGER NOT NULL);
                    INSERT INTO meta VALUES ('schema', '2'), ('instance', 'old2'), ('pool', '["rm0","rm1"]'), ('features', 'f');
                    INSERT INTO decisions VALUES (0, 'p0', 'hash', x'000000000000F03F', 1, 0.5, '1,0', 1, 'a', NULL, NULL, NULL, NULL, 0, 'd', 'g');
                    """;
                cmd.ExecuteNonQuery();
            }
            using var store = SqliteDecisionStore.Open(dir);
            Assert.Equal("old2", store.Attach(["rm0", "rm1"], "f"));
            await store.AppendDecisionsAsync([Decided(1, "p1", "abc")], new SessionCursor(2, [1]), new RequestKey("k", "/v1/label", "d"));
            var all = store.ReadDecisions().ToArray();
            Assert.Equal(["p0", "p1"], all.Select(e => e.Decision.PairId));
            Assert.Equal(("d", "g", (string?)null), (all[0].Decision.Domain, all[0].Decision.Group, all[0].Decision.TextsDigest));
            Assert.Equal("abc", all[1].Decision.TextsDigest);
            Assert.Equal("/v1/label", store.FindKey("k")!.Endpoint);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
