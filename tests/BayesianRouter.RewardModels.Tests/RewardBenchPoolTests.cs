using BayesianRouter.Data.Import;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>
/// A whole pool on real data: the 447 RewardBench math pairs with response texts, four RMs each served by its own
/// recorded-RM server over a different protocol, created from a pool file: every label is the recorded judgment.
/// </summary>
public class RewardBenchPoolTests
{
    [Fact]
    public async Task FourRmsServedOverTheThreeProtocolsLabelEveryPairAsRecorded()
    {
        var pairs = new RewardBenchMathImporter(1, "classifier").Import(TestPaths.RewardMath, new ImportReport()).ToList();
        Assert.Equal(447, pairs.Count);
        const string template = "<|user|>\n{prompt}\n<|assistant|>\n{response}";
        await using var armo = await RecordedRmServer.StartAsync(RecordedJudgments.From(pairs, "ArmoRM"));
        await using var sky = await RecordedRmServer.StartAsync(RecordedJudgments.From(pairs, "skywork_llama3"));
        await using var intern = await RecordedRmServer.StartAsync(RecordedJudgments.From(pairs, "internlm2_20b"), new RecordedRmServerOptions { QueryTemplate = template });
        await using var gemma = await RecordedRmServer.StartAsync(RecordedJudgments.From(pairs, "grm_gemma"));
        var pool = PoolFile.Parse($$"""
            {"rms": [
              {"name": "ArmoRM", "backend": "vllm-classify", "url": "{{armo.Url}}", "model": "RLHFlow/ArmoRM-Llama3-8B-v0.1", "max_concurrency": 16},
              {"name": "skywork_llama3", "backend": "openrlhf", "url": "{{sky.Url}}"},
              {"name": "internlm2_20b", "backend": "openrlhf", "url": "{{intern.Url}}", "template": {{System.Text.Json.JsonSerializer.Serialize(template)}}, "max_batch": 100},
              {"name": "grm_gemma", "backend": "openai-judge", "url": "{{gemma.Url}}v1", "model": "grm", "max_concurrency": 16}
            ]}
            """, "pool.json");
        using var rms = RewardModelFactory.CreatePool(pool);
        var texts = pairs.Select(PairText.Of).ToList();

        var labelled = await Task.WhenAll(rms.Select(rm => rm.JudgeAsync(texts)));

        for (int k = 0; k < rms.Count; k++)
        {
            var name = rms[k].Name;
            for (int i = 0; i < pairs.Count; i++)
            {
                var recorded = pairs[i].Judgments[name];
                var got = labelled[k][i];
                Assert.True(got.Succeeded, $"{name} pair {i}: {got.Error}");
                if (rms[k].Spec.Backend == RmBackend.OpenAiJudge) Assert.Equal(recorded.Prefers(), got.Judgment!.Prefers());
                else Assert.Equal(recorded, got.Judgment);
            }
        }
        Assert.Equal(2 * 447, armo.Requests);          // vLLM chat form: one request per response
        Assert.Equal(14, sky.Requests);                 // 447 pairs in batches of 32
        Assert.Equal(5, intern.Requests);               // ... of 100
        Assert.Equal(447, gemma.Requests);              // one judge request per pair
    }
}
