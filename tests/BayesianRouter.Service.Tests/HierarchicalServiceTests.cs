using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using Microsoft.Data.Sqlite;

namespace BayesianRouter.Service.Tests;

/// <summary>
/// The service on an offline artifact routes with the bayesian-router of <see cref="BayesianRouterFactory"/> (the
/// hierarchical model by default): pairs carry their domain and group into the log, and a restart (checkpoint + the
/// feedback logged after it) continues with the learned state of a service that never stopped.
/// </summary>
public class HierarchicalServiceTests
{
    /// <summary>An artifact for the 8-dimensional test encoder: domains algebra and geometry, seeded random weights.</summary>
    private static OfflineRouter Artifact(int seed = 3)
    {
        var rng = new Random(seed);
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        const int fused = 4, input = 2 * 8 + 2;
        return new OfflineRouter(["rm0", "rm1", "rm2"], "test-hash-8", 8, 128, ["algebra", "geometry"], FusionActivation.Tanh, fused,
            Values(fused * input), Values(fused), Values(3 * (fused + 1)), Values(3 * (fused + 1)));
    }

    private static object Pairs(int count, string prefix, bool withGroups) => new
    {
        pairs = Enumerable.Range(0, count).Select(i => (object)(withGroups && i % 4 != 3
            ? new { id = $"{prefix}{i}", prompt = $"question {i % 5}", response_a = $"a {prefix}{i}", response_b = $"b {prefix}{i}", domain = i % 2 == 0 ? "algebra" : "optics", group = (string?)$"problem-{i % 5}" }
            : new { id = $"{prefix}{i}", prompt = $"question {i % 5}", response_a = $"a {prefix}{i}", response_b = $"b {prefix}{i}", domain = "algebra", group = (string?)null })).ToArray(),
    };

    [Fact]
    public async Task Domains_and_groups_reach_the_log_and_a_restart_equals_a_service_that_never_stopped()
    {
        var state = Path.Combine(Path.GetTempPath(), "br-hier-" + Guid.NewGuid().ToString("N")[..8]);
        var reference = Path.Combine(Path.GetTempPath(), "br-hier-ref-" + Guid.NewGuid().ToString("N")[..8]);
        ServiceOptions Hierarchical(ServiceOptions o) => o with { Setup = RouterSetup.FromOfflineRouter(Artifact(), seed: 4, new BayesianRouterOptions { Model = OnlineModel.Hierarchical }), CheckpointEveryBatches = 2 };
        try
        {
            await using var uninterrupted = await TestServer.StartAsync(state: reference, configure: Hierarchical);
            // the hierarchical model under the default incumbent anchor (do no harm)
            Assert.IsType<HierarchicalThompsonRouter>(Assert.IsType<AnchoredThompsonRouter>(uninterrupted.Server.Session.Router).Inner);
            var first = await TestServer.StartAsync(state: state, configure: Hierarchical);
            var held = new List<(string Live, string Reference)>();
            async Task Step(TestServer live, int step, bool feedback)
            {
                var body = Pairs(12, $"s{step}-", withGroups: true);
                var a = (await live.PostAsync("/v1/label", body))["labels"]!.AsArray();
                var b = (await uninterrupted.PostAsync("/v1/label", body))["labels"]!.AsArray();
                Assert.Equal(b.Select(l => (string)l!["rm"]!), a.Select(l => (string)l!["rm"]!));
                held.AddRange(a.Zip(b, (x, y) => ((string)x!["decision_id"]!, (string)y!["decision_id"]!)));
                if (!feedback) return;
                var losses = held.Select((_, i) => (double)((i * 5 + step) % 11) / 11).ToArray();
                await live.PostAsync("/v1/feedback", new { feedback = held.Select((d, i) => new { decision_id = d.Live, loss = losses[i] }).ToArray() });
                await uninterrupted.PostAsync("/v1/feedback", new { feedback = held.Select((d, i) => new { decision_id = d.Reference, loss = losses[i] }).ToArray() });
                held.Clear();
            }
            for (int s = 0; s < 6; s++) await Step(first, s, feedback: s != 5);
            await first.CrashAsync(); // as kill -9 leaves it: the feedback after the last checkpoint is replayed from the log
            await using (var second = await TestServer.StartAsync(state: state, configure: Hierarchical))
            {
                Assert.InRange(second.Server.Session.ReplayedBatches, 1, 5);
                await Step(second, 6, feedback: true);
                Assert.Equal((string)(await uninterrupted.GetAsync("/v1/router"))["learned_state_sha256"]!,
                    (string)(await second.GetAsync("/v1/router"))["learned_state_sha256"]!);
                // the live default: the hierarchical model under the incumbent anchor
                var names = ((HierarchicalThompsonRouter)((AnchoredThompsonRouter)second.Server.Session.Router).Inner).PromptNames;
                Assert.Contains("problem-1", names);
                Assert.Contains(PreferencePair.GroupOf("question 3"), names); // a pair without a group: its prompt's hash
            }
            using var store = SqliteDecisionStore.OpenExisting(state);
            var logged = store.ReadDecisions().ToDictionary(e => e.Decision.PairId);
            Assert.Equal(84, logged.Count);
            Assert.Equal(("optics", "problem-1"), (logged["s2-1"].Decision.Domain, logged["s2-1"].Decision.Group));
            Assert.Equal(("algebra", PreferencePair.GroupOf("question 3")), (logged["s2-3"].Decision.Domain, logged["s2-3"].Decision.Group));
            Assert.Equal(5, logged["s2-1"].Decision.Features.Length); // h (fused 4 + 1), not the router's ids
        }
        finally
        {
            foreach (var d in new[] { state, reference })
                try { Directory.Delete(d, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_log_of_schema_1_is_upgraded_in_place_and_keeps_its_decisions()
    {
        var dir = Path.Combine(Path.GetTempPath(), "br-schema1-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            // A decisions.db as the first release wrote it: no domain and group columns, schema 1.
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
                        created_ms INTEGER NOT NULL);
                    CREATE TABLE feedback (
                        seq INTEGER PRIMARY KEY, batch INTEGER NOT NULL, position INTEGER NOT NULL, arm INTEGER NOT NULL,
                        kind TEXT NOT NULL, value REAL NOT NULL, reward REAL NOT NULL, created_ms INTEGER NOT NULL);
                    INSERT INTO meta VALUES ('schema', '1'), ('instance', 'old1'), ('pool', '["rm0","rm1"]'), ('features', 'f');
                    INSERT INTO decisions VALUES (0, 'p0', 'hash', x'000000000000F03F', 1, 0.5, '1,0', 1, 'a', NULL, NULL, NULL, NULL, 0);
                    """;
                cmd.ExecuteNonQuery();
            }
            using var store = SqliteDecisionStore.Open(dir);
            Assert.Equal("old1", store.Attach(["rm0", "rm1"], "f"));
            var decision = new Decision
            {
                DecisionId = "old1-1", Sequence = 1, PairId = "p1", Arm = 0, Rm = "rm0", Probability = 0.7, FallbackOrder = [0, 1],
                Features = [2.0], FeaturesHash = Decision.HashFeatures([2.0]), Domain = "algebra", Group = "g1",
            };
            await store.AppendDecisionsAsync([new LabelledDecision(decision, LabelOutcome.Labelled("rm0", 0, Judgment.FromVerdict(Preference.B), []))], new SessionCursor(2, [1, 2]));
            var all = store.ReadDecisions().ToArray();
            Assert.Equal(["p0", "p1"], all.Select(e => e.Decision.PairId));
            Assert.Equal([1.0], all[0].Decision.Features);
            Assert.Null(all[0].Decision.Group);
            Assert.Equal(("algebra", "g1"), (all[1].Decision.Domain, all[1].Decision.Group));
            Assert.Equal("g1", store.FindDecisions([1])[1].Group);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
