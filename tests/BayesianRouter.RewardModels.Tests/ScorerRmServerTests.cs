using System.Text;
using BayesianRouter.RewardModels.Serving;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>A live scalar RM served over the scorer protocols, called through the pool clients: the same scores as in-process.</summary>
public class ScorerRmServerTests
{
    /// <summary>A scorer with irrational-looking scores (they must survive JSON exactly) and no score for one prompt.</summary>
    private static readonly IRewardScorer Scorer = ((ScoringRewardModel)RewardModel.Scoring("live",
        (prompt, response) => prompt.Contains("unknown", StringComparison.Ordinal) ? double.NaN : Math.Sin(prompt.Length * 0.37 + response.Length) / 3.0)).Scorer;

    private static readonly List<PairText> Texts = TestRms.Texts;

    [Theory]
    [InlineData(RmBackend.VllmClassify, null)]
    [InlineData(RmBackend.OpenRlhf, "{prompt}\n<sep>\n{response}")]
    public async Task ThePoolClientGetsExactlyTheInProcessScores(RmBackend backend, string? template)
    {
        await using var server = await ScorerRmServer.StartAsync(Scorer, new ScorerRmServerOptions { QueryTemplate = template });
        using var rm = RewardModelFactory.Create(TestRms.Spec(backend, server.Url) with { Template = template });
        var remote = await rm.JudgeAsync(Texts);
        var local = await new ScoringRewardModel(Scorer).JudgeAsync(Texts);
        Assert.All(remote, r => Assert.True(r.Succeeded, r.Error));
        Assert.Equal(local.Select(j => (j.Judgment!.ScoreA, j.Judgment!.ScoreB)), remote.Select(j => (j.Judgment!.ScoreA, j.Judgment!.ScoreB)));
        // vLLM's chat form asks once per response; OpenRLHF batches up to max_batch (32) pairs per request
        Assert.Equal(backend == RmBackend.VllmClassify ? 2 * Texts.Count : 2, server.Requests);
    }

    [Fact]
    public async Task AScoreTheRmCannotGiveIsAFailedJudgmentAndAJudgeRequestIsRefused()
    {
        await using var server = await ScorerRmServer.StartAsync(Scorer);
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.VllmClassify, server.Url));
        var r = (await rm.JudgeAsync([new PairText("an unknown prompt", "a", "b")]))[0];
        Assert.Equal(RmFailure.ClientError, RmFailure.KindOf(r.Error));
        Assert.Contains("gives no score", r.Error);

        using var http = new HttpClient { BaseAddress = server.Url };
        var judge = await http.PostAsync("/v1/chat/completions", new StringContent("""{"model": "m", "messages": [{"role": "user", "content": "x"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)judge.StatusCode);
        Assert.Contains("scalar RM", await judge.Content.ReadAsStringAsync());
        var reward = await http.PostAsync("/get_reward", new StringContent("""{"query": ["x"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)reward.StatusCode); // no query template: it cannot split a query
        Assert.Contains("/classify", await reward.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{prompt}{response}", "some text between them")]
    [InlineData("{response} {prompt}", "before {response}")]
    [InlineData("{prompt}", "lacks {response}")]
    public async Task AQueryTemplateThatCannotBeSplitIsRefused(string template, string expected)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ScorerRmServer.StartAsync(Scorer, new ScorerRmServerOptions { QueryTemplate = template }));
        Assert.Contains(expected, e.Message);
    }
}
