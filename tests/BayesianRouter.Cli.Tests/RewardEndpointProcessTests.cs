using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// The reward endpoint end to end on real processes: four <c>bayesrouter rm-serve</c> RMs (two vLLM classifiers, an
/// OpenRLHF server, an OpenAI-compatible judge) and <c>bayesrouter serve</c>, asked OpenRLHF-shaped batches, then
/// <c>bayesrouter export decisions</c> on its state.
/// </summary>
public class RewardEndpointProcessTests : DataTempFolderTest
{
    private const string Token = "reward-process-token-4d1";

    [Fact]
    public async Task Serve_scores_64_query_batches_one_RM_per_group_and_export_finds_every_decision()
    {
        var (groups, pairs) = RolloutGroups.Make(32, 4, seed: 21);
        var dir = NewFolder();
        var pairFile = Path.Combine(dir, "rollouts.jsonl");
        PairFile.Write(pairFile, pairs);
        var backends = new (string Name, string Backend)[] { ("armo", "vllm-classify"), ("sky", "openrlhf"), ("judge", "openai-judge"), ("intern", "vllm-classify") };
        var rms = new List<CliProcess>();
        try
        {
            var entries = new List<object>();
            foreach (var (name, backend) in backends)
            {
                var rm = CliProcess.Start("rm-serve", "--pairs", pairFile, "--rm", name, "--port", "0");
                rms.Add(rm);
                var url = (await rm.ListeningAsync()).ToString().TrimEnd('/');
                entries.Add(backend == "openrlhf" ? new { name, backend, url, retries = 0 } : new { name, backend, url, model = "m", retries = 0 } as object);
            }
            var pool = Path.Combine(dir, "pool.json");
            File.WriteAllText(pool, JsonSerializer.Serialize(new { rms = entries, rewards = new { audit_share = 0.5, audit_rms = new[] { "armo", "sky", "intern" } } }));
            var tokenFile = Path.Combine(dir, "token");
            File.WriteAllText(tokenFile, Token + "\n");
            var state = Path.Combine(dir, "state");
            await using (var serve = CliProcess.Start("serve", "--pool", pool, "--state", state, "--port", "0", "--token-file", tokenFile, "--encoder-cache", Path.Combine(dir, "cache"), "--seed", "4"))
            {
                using var http = new HttpClient { BaseAddress = await serve.ListeningAsync(TimeSpan.FromSeconds(180)) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
                var decisionIds = new HashSet<string>();
                for (int batch = 0; batch < 2; batch++)
                {
                    var mine = groups.Skip(16 * batch).Take(16).ToArray();
                    var query = mine.SelectMany(g => g.Responses.Select(r => g.Prompt + r)).ToArray();
                    var prompts = mine.SelectMany(g => g.Responses.Select(_ => g.Prompt)).ToArray();
                    using var response = await http.PostAsync("/get_reward", new StringContent(JsonSerializer.Serialize(new { query, prompts, labels = prompts.Select(_ => "x") }), System.Text.Encoding.UTF8, "application/json"));
                    var text = await response.Content.ReadAsStringAsync();
                    Assert.True(response.IsSuccessStatusCode, text + serve.Output);
                    var answer = JsonNode.Parse(text)!.AsObject();
                    Assert.Equal(64, answer["rewards"]!.AsArray().Count);
                    for (int g = 0; g < 16; g++)
                    {
                        var rm = (string)answer["rms"]![4 * g]!;
                        for (int i = 0; i < 4; i++)
                        {
                            Assert.Equal(rm, (string)answer["rms"]![4 * g + i]!);
                            Assert.Equal(RolloutGroups.Expected(mine[g], rm, i, anchor: 0), (double)answer["scores"]![4 * g + i]!, 9);
                        }
                        decisionIds.Add((string)answer["decision_ids"]![4 * g]!);
                    }
                }
                Assert.Equal(32, decisionIds.Count);
                Assert.Equal(0, await serve.TerminateAsync());

                var output = Path.Combine(dir, "decisions.jsonl");
                var export = await CliRunner.RunAsync("export", "decisions", "--state", state, "--out", output);
                Assert.True(export.ExitCode == 0, export.Err);
                var rows = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
                Assert.Equal(decisionIds.OrderBy(x => x), rows.Select(r => (string)r["decision_id"]!).OrderBy(x => x));
                // about half the groups were audited; their rank agreement is their feedback
                Assert.InRange(rows.Count(r => (string?)r["feedback_kind"] == "reward"), 6, 26);
                Assert.All(rows.Where(r => r["feedback_value"] is not null), r => Assert.InRange((double)r["feedback_value"]!, 0, 1));
            }
        }
        finally
        {
            foreach (var rm in rms) await rm.DisposeAsync();
        }
    }
}
