using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BayesianRouter.Service;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>bayesrouter serve</c> as a real process on real RM servers: crash by SIGKILL and restart.</summary>
public class ServeProcessTests : DataTempFolderTest
{
    private const string Token = "kill-test-token-91c2e";

    private sealed class Client(Uri url) : IDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = url, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };

        public async Task<JsonObject> Post(string path, object body)
        {
            using var r = await _http.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"));
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.IsSuccessStatusCode, $"{path}: {(int)r.StatusCode} {text}");
            return JsonNode.Parse(text)!.AsObject();
        }

        public async Task<JsonObject> Get(string path) => JsonNode.Parse(await _http.GetStringAsync(path))!.AsObject();

        public void Dispose() => _http.Dispose();
    }

    [Fact]
    public async Task After_kill_9_and_a_restart_nothing_acknowledged_is_lost_and_the_posteriors_equal_an_uninterrupted_run()
    {
        var pairs = RecordedRmFarm.MakePairs(96, seed: 3);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        farm.WritePoolFile(pool);
        var tokenFile = Path.Combine(dir, "token");
        File.WriteAllText(tokenFile, Token + "\n");
        var cache = Path.Combine(dir, "cache");
        string[] Serve(string state) => ["serve", "--pool", pool, "--state", state, "--port", "0", "--token-file", tokenFile, "--encoder-cache", cache, "--checkpoint-every", "3", "--seed", "5"];
        var batches = Enumerable.Range(0, 6).Select(b => pairs.Skip(16 * b).Take(16).Select(p => new { id = p.Id, prompt = p.Prompt, response_a = p.ResponseA, response_b = p.ResponseB }).ToArray()).ToArray();
        static object Losses(IEnumerable<string> ids, int batch) => new { feedback = ids.Select((id, i) => new { decision_id = id, loss = 0.05 * ((i * 7 + batch) % 13) }).ToArray() };

        // The run that is killed: labels batches 0-4, feedback for 0-3, then SIGKILL before batch 4's feedback.
        var crashState = Path.Combine(dir, "crash");
        var acknowledged = new List<string>();
        var crashRms = new List<string>();
        string[] batch4Ids;
        await using (var first = CliProcess.Start(Serve(crashState)))
        {
            using var c = new Client(await first.ListeningAsync());
            for (int b = 0; b < 5; b++)
            {
                var labels = (await c.Post("/v1/label", new { pairs = batches[b] }))["labels"]!.AsArray();
                acknowledged.AddRange(labels.Select(l => (string)l!["decision_id"]!));
                crashRms.AddRange(labels.Select(l => (string)l!["rm"]!));
                if (b < 4) Assert.Equal(16, (int)(await c.Post("/v1/feedback", Losses(labels.Select(l => (string)l!["decision_id"]!), b)))["accepted"]!);
            }
            batch4Ids = acknowledged.Skip(64).ToArray();
            await first.KillAsync();
            Assert.DoesNotContain(Token, first.Output);
        }

        // Restart on the same state: everything acknowledged is there; batch 4's feedback (decided before the crash) is accepted.
        await using (var second = CliProcess.Start(Serve(crashState)))
        {
            using var c = new Client(await second.ListeningAsync());
            // the checkpoint (every 3 batches) holds at most 3 of the 4 feedback batches: the rest was replayed from the log
            var replay = await second.WaitForOutputAsync(@"\(4 batches, (\d+) replayed from the log since the checkpoint\)");
            Assert.True(int.Parse(replay.Groups[1].Value) >= 1, second.Output);
            var router = await c.Get("/v1/router");
            Assert.Equal(80, (long)router["decisions"]!);
            Assert.Equal(64, (long)router["feedback"]!);
            Assert.Equal(16, (int)(await c.Post("/v1/feedback", Losses(batch4Ids, 4)))["accepted"]!);
            for (int b = 5; b < 6; b++)
            {
                var labels = (await c.Post("/v1/label", new { pairs = batches[b] }))["labels"]!.AsArray();
                crashRms.AddRange(labels.Select(l => (string)l!["rm"]!));
                acknowledged.AddRange(labels.Select(l => (string)l!["decision_id"]!));
                await c.Post("/v1/feedback", Losses(labels.Select(l => (string)l!["decision_id"]!), b));
            }
            router = await c.Get("/v1/router");
            Assert.Equal(96, (long)router["feedback"]!);
            var crashedDigest = (string)router["learned_state_sha256"]!;

            // The same requests to a server that never stopped.
            var reference = Path.Combine(dir, "reference");
            await using var uninterrupted = CliProcess.Start(Serve(reference));
            using var r = new Client(await uninterrupted.ListeningAsync());
            var referenceRms = new List<string>();
            for (int b = 0; b < 6; b++)
            {
                var labels = (await r.Post("/v1/label", new { pairs = batches[b] }))["labels"]!.AsArray();
                referenceRms.AddRange(labels.Select(l => (string)l!["rm"]!));
                await r.Post("/v1/feedback", Losses(labels.Select(l => (string)l!["decision_id"]!), b));
            }
            Assert.Equal(referenceRms, crashRms);
            var referenceRouter = await r.Get("/v1/router");
            Assert.Equal((string)referenceRouter["learned_state_sha256"]!, crashedDigest);
            Assert.Equal(referenceRouter["rms"]!.ToJsonString(), router["rms"]!.ToJsonString());
            Assert.Equal(0, await uninterrupted.TerminateAsync());
            Assert.True(File.Exists(Path.Combine(reference, RoutingServer.CheckpointFileName)));
            Assert.Equal(0, await second.TerminateAsync());
            Assert.DoesNotContain(Token, second.Output + uninterrupted.Output);
        }

        // Every acknowledged decision is in the log, with its probability and features hash.
        using var store = SqliteDecisionStore.OpenExisting(crashState);
        var logged = store.ReadDecisions().ToDictionary(e => e.Decision.DecisionId);
        Assert.Equal(acknowledged.Count, logged.Count);
        Assert.All(acknowledged, id =>
        {
            var e = logged[id];
            Assert.InRange(e.Decision.Probability, 1e-6, 1);
            Assert.Equal(16, e.Decision.FeaturesHash.Length);
            Assert.NotNull(e.Feedback);
        });
    }

    [Fact]
    public async Task Serve_refuses_to_start_without_a_token_or_on_a_public_address_without_one()
    {
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        File.WriteAllText(pool, "{\"rms\": [{\"name\": \"a\", \"backend\": \"openrlhf\", \"url\": \"http://127.0.0.1:9\"}]}");
        var none = await CliRunner.RunAsync("serve", "--pool", pool, "--state", Path.Combine(dir, "s"));
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("--token-file", none.Err);
        var open = await CliRunner.RunAsync("serve", "--pool", pool, "--state", Path.Combine(dir, "s"), "--insecure-local", "--host", "0.0.0.0");
        Assert.Equal(1, open.ExitCode);
        Assert.Contains("loopback", open.Err);
    }
}
