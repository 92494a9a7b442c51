using System.Security.Cryptography;
using System.Text;
using BayesianRouter.Core.Tests.Live;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;
using BayesianRouter.Routing;

namespace BayesianRouter.Core.Tests.Library;

/// <summary>The library's entry point, <see cref="PairRouter"/>: load, label with your RMs, learn, save and continue.</summary>
public sealed class PairRouterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A deterministic encoder for the test artifact: 4-dimensional unit vectors from SHA-256 of the texts.</summary>
    private sealed class HashEncoder(string id = "test-enc") : IPairEmbedder
    {
        public string EncoderId => id;
        public int Dimension => LiveOfflineData.EncoderDimension;
        public int MaxTokens => 64;
        public int Pairs;

        public IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null)
        {
            Pairs += pairs.Count;
            return pairs.Select(p => new PairEmbedding(Vector(p.Prompt + "\n" + p.ResponseA), Vector(p.Prompt + "\n" + p.ResponseB))).ToArray();
        }

        public static float[] Vector(string text)
        {
            var h = SHA256.HashData(Encoding.UTF8.GetBytes(text));
            var v = Enumerable.Range(0, LiveOfflineData.EncoderDimension).Select(i => h[i] / 255f - 0.5f).ToArray();
            float norm = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }
    }

    private string Artifact()
    {
        var path = Path.Combine(_dir.Path, "router.bin");
        if (!File.Exists(path)) LiveOfflineData.Router().Save(path);
        return path;
    }

    /// <summary>rm{n} prefers the longer response when n is even, the shorter when odd.</summary>
    private static IRewardModel[] Rms(int arms = 3) =>
        Enumerable.Range(0, arms).Select(n => RewardModel.Scoring($"rm{n}", (_, r) => n % 2 == 0 ? r.Length : -r.Length)).ToArray();

    private static PairInput[] Pairs(int count, string prefix = "p") => Enumerable.Range(0, count).Select(i =>
        new PairInput($"{prefix}{i}", $"question {i % 4}", $"answer {prefix}{i}", $"a much longer answer {prefix}{i}") { Domain = i % 2 == 0 ? "x" : "y" }).ToArray();

    [Fact]
    public async Task Label_with_your_RMs_then_learn_from_DPO_losses()
    {
        var encoder = new HashEncoder();
        var router = PairRouter.Load(Artifact(), new PairRouterOptions { Embedder = encoder, Seed = 3 });
        Assert.Equal(["rm0", "rm1", "rm2"], router.RewardModels);
        var labelled = await router.LabelAsync(Pairs(12), Rms().Reverse().ToArray()); // any order: matched by name
        Assert.Equal(12, encoder.Pairs);
        Assert.Equal(Pairs(12).Select(p => p.Id), labelled.Select(l => l.PairId));
        foreach (var l in labelled)
        {
            Assert.Equal(l.Rm, l.LabelledBy);
            Assert.Equal(l.Rm, l.FallbackOrder[0]);
            Assert.Equal(["rm0", "rm1", "rm2"], l.FallbackOrder.Order());
            Assert.InRange(l.Probability, 1.0 / 1001, 1.0);
            Assert.Equal(l.Rm is "rm1" ? Preference.A : Preference.B, l.Preferred); // b is the longer response
            Assert.NotNull(l.Judgment);
        }
        var result = await router.LearnFromLossesAsync(labelled.Select(l => l.DecisionId).ToArray(), labelled.Select((_, i) => 0.1 * i).ToArray());
        Assert.Equal(12, result.Accepted);
        var again = await router.LearnFromLossesAsync([labelled[0].DecisionId], [0.5]);
        Assert.Equal([labelled[0].DecisionId], again.Unknown); // learned decisions are forgotten: memory stays bounded
        Assert.Equal(12, router.Statistics().Feedback);
        Assert.Equal(12, router.Statistics().Decisions);
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => router.LearnFromLossesAsync(["x", "y"], [0.1]));
        Assert.Contains("1 losses for 2 decision ids", bad.Message);
        var missing = await Assert.ThrowsAsync<ArgumentException>(() => router.LabelAsync(Pairs(1), Rms(2)));
        Assert.Contains("\"rm2\"", missing.Message);
    }

    [Fact]
    public async Task A_failing_RM_falls_back_to_the_routers_next_choice()
    {
        var router = PairRouter.Load(Artifact(), new PairRouterOptions { Embedder = new HashEncoder() });
        var failing = RewardModel.Scoring("rm0", (_, _) => throw new HttpRequestException("connection refused"));
        var labelled = await router.LabelAsync(Pairs(30), [failing, .. Rms().Skip(1)]);
        var fellBack = labelled.Where(l => l.Rm == "rm0").ToArray();
        Assert.NotEmpty(fellBack);
        Assert.All(fellBack, l => Assert.Equal(l.FallbackOrder[1], l.LabelledBy));
        Assert.All(labelled, l => Assert.NotNull(l.Preferred));
        var result = await router.LearnFromRewardsAsync(labelled.Select(l => l.DecisionId).ToArray(), labelled.Select(_ => 1.0).ToArray());
        Assert.Equal(30, result.Accepted);
        Assert.Equal(0, router.Statistics().Rms.Single(r => r.Rm == "rm0").Labelled);
    }

    [Fact]
    public async Task Saved_and_restored_it_continues_like_a_router_that_never_stopped()
    {
        var state = Path.Combine(_dir.Path, "state.bin");
        PairRouter Make(string? file = null) => PairRouter.Load(Artifact(), new PairRouterOptions
        {
            Embedder = new HashEncoder(), Seed = 5, OnlineModel = OnlineModel.Hierarchical, StateFile = file,
        });
        var live = Make(state);
        var twin = Make();
        IReadOnlyList<RoutedPair>? pending = null, pendingTwin = null;
        string? prefix = null;
        var rng = new Random(2);
        for (int step = 0; step < 6; step++)
        {
            if (step == 3)
            {
                await live.SaveAsync(state);              // with one batch still waiting for its feedback
                live = Make(state);
            }
            var pairs = Pairs(16, $"s{step}-");
            var a = await live.LabelAsync(pairs, Rms());
            var b = await twin.LabelAsync(pairs, Rms());
            Assert.Equal(b.Select(l => (l.Rm, l.Probability)), a.Select(l => (l.Rm, l.Probability)));
            Assert.Equal(b.Select(l => l.DecisionId[(l.DecisionId.IndexOf('-') + 1)..]), a.Select(l => l.DecisionId[(l.DecisionId.IndexOf('-') + 1)..]));
            Assert.All(a, l => Assert.StartsWith(prefix ??= l.DecisionId[..l.DecisionId.IndexOf('-')], l.DecisionId)); // ids keep their prefix across the restart
            if (pending != null)
            {
                var losses = pending.Select(_ => rng.NextDouble()).ToArray();
                Assert.Equal(16, (await live.LearnFromLossesAsync(pending.Select(l => l.DecisionId).ToArray(), losses)).Accepted);
                Assert.Equal(16, (await twin.LearnFromLossesAsync(pendingTwin!.Select(l => l.DecisionId).ToArray(), losses)).Accepted);
            }
            (pending, pendingTwin) = (a, b);
        }
        Assert.Equal(twin.Session.LearnedStateDigest(), live.Session.LearnedStateDigest());
        Assert.Equal(twin.Statistics().Rms, live.Statistics().Rms);
        // A state made with another online model or artifact is refused, naming the file.
        var other = Assert.Throws<InvalidDataException>(() => PairRouter.Load(Artifact(), new PairRouterOptions { Embedder = new HashEncoder(), OnlineModel = OnlineModel.Paper, StateFile = state }));
        Assert.Contains(state, other.Message);
    }

    [Fact]
    public async Task Precomputed_embeddings_need_no_encoder_and_texts_need_one()
    {
        var router = PairRouter.Load(Artifact());
        var withEmbeddings = Pairs(5).Select(p => p with { Embedding = new PairEmbedding(HashEncoder.Vector(p.ResponseA), HashEncoder.Vector(p.ResponseB)) }).ToArray();
        var routed = router.Route(withEmbeddings);
        Assert.All(routed, r => Assert.Null(r.Preferred));
        Assert.All(routed, r => Assert.Equal(r.Rm, r.LabelledBy));
        Assert.Equal(5, (await router.LearnFromRewardsAsync(routed.Select(r => r.DecisionId).ToArray(), [1, 0, 1, 0, 1])).Accepted);
        var e = Assert.Throws<InvalidOperationException>(() => router.Route(Pairs(1)));
        Assert.Contains("PairRouterOptions.Embedder", e.Message);
        var wrong = Assert.Throws<InvalidDataException>(() => PairRouter.Load(Artifact(), new PairRouterOptions { Embedder = new HashEncoder("other-encoder") }));
        Assert.Contains("other-encoder", wrong.Message);
    }

    [Fact]
    public async Task Without_a_prior_it_learns_which_RM_is_right()
    {
        var router = PairRouter.WithoutPrior(["rm0", "rm1", "rm2"], LiveOfflineData.EncoderDimension, new PairRouterOptions { Embedder = new HashEncoder(), Seed = 2 });
        int late = 0;
        for (int step = 0; step < 25; step++)
        {
            var labelled = await router.LabelAsync(Pairs(16, $"t{step}-"), Rms());
            // The truth: b (the longer answer) is always better, so rm0 and rm2 are right and rm1 is wrong.
            await router.LearnFromRewardsAsync(labelled.Select(l => l.DecisionId).ToArray(), labelled.Select(l => l.Preferred == Preference.B ? 1.0 : 0.0).ToArray());
            if (step >= 20) late += labelled.Count(l => l.Rm == "rm1");
        }
        Assert.True(late < 8, $"{late} of the last 80 pairs still went to the RM that is always wrong");
    }
}
