using BayesianRouter.Evaluation;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using TorchSharp;

namespace BayesianRouter.Training.Tests;

public class MultiTaskRouterTrainerTests
{
    private static readonly OfflineTrainingOptions Quick = new()
    {
        Dimension = 4, Epochs = 30, BatchSize = 32, LearningRate = 0.01, Dropout = 0, ValidationFraction = 0.2, Patience = 5, EmbeddingScale = 1,
        EncoderId = "synthetic", MaxTokens = 0,
    };

    /// <summary>RM c is right 90% of the time on cluster c and 40% elsewhere: the embedding says who to ask.</summary>
    private static readonly SyntheticPairs ClusterSignal = new()
    {
        Groups = 120, RightProbability = (cluster, _, n) => n == cluster ? 0.9 : 0.4,
    };

    /// <summary>Noise embeddings; the domain says who to ask.</summary>
    private static readonly SyntheticPairs DomainSignal = new()
    {
        Groups = 120, RightProbability = (_, domain, n) => n == domain ? 0.9 : 0.4,
    };

    [Fact]
    public void TrainingIsDeterministicForASeed()
    {
        var (pairs, emb) = ClusterSignal.Generate(1);
        var trainer = new MultiTaskRouterTrainer();
        var a = trainer.Train(pairs, emb, SyntheticPairs.Pool, Quick with { Dropout = 0.2, UseDomain = true, Seed = 5 });
        var b = trainer.Train(pairs, emb, SyntheticPairs.Pool, Quick with { Dropout = 0.2, UseDomain = true, Seed = 5 });
        Assert.Equal(a.ToBytes(), b.ToBytes());
        var c = trainer.Train(pairs, emb, SyntheticPairs.Pool, Quick with { Dropout = 0.2, UseDomain = true, Seed = 6 });
        Assert.NotEqual(a.W, c.W);
    }

    [Fact]
    public void CoreEvaluationMatchesTorchSharpsForwardPass()
    {
        var (pairs, emb) = ClusterSignal.Generate(2);
        var router = new MultiTaskRouterTrainer().Train(pairs, emb, SyntheticPairs.Pool, Quick with { UseDomain = true, Epochs = 5 });
        Assert.Equal(new[] { "d0", "d1", "d2" }, router.Domains);

        using var scope = torch.NewDisposeScope();
        using var net = RouterNetwork.From(router);
        var rows = Enumerable.Range(0, 40).ToArray();
        var x = rows.SelectMany(i => OfflineRouter.FusionInput(emb[i], i % 7 == 0 ? "unseen" : pairs[i].Domain, router.Domains)).ToArray();
        var xt = torch.tensor(x, [rows.Length, router.InputDimension], torch.ScalarType.Float64);
        var h = RouterNetwork.ToArray(net.Features(xt, 0.5, training: false));
        var s = RouterNetwork.ToArray(net.BtScores(net.Features(xt, 0, training: false)));
        var z = RouterNetwork.ToArray(net.ClsLogits(net.Features(xt, 0, training: false)));
        for (int r = 0; r < rows.Length; r++)
        {
            int i = rows[r];
            var coreH = router.Features(emb[i], i % 7 == 0 ? "unseen" : pairs[i].Domain);
            for (int k = 0; k < coreH.Length; k++) Assert.Equal(h[r * coreH.Length + k], coreH[k], 1e-12);
            var coreS = router.BtScores(coreH);
            var coreZ = router.ClsLogits(coreH);
            for (int n = 0; n < coreS.Length; n++)
            {
                Assert.Equal(s[r * coreS.Length + n], coreS[n], 1e-12);
                Assert.Equal(z[r * coreZ.Length + n], coreZ[n], 1e-12);
            }
        }
    }

    [Fact]
    public void TheEmbeddingScaleIsFoldedIntoTheArtifact()
    {
        var (pairs, emb) = ClusterSignal.Generate(9);
        // A scale s and learning rate lr on scaled inputs is not the same run as scale 1, but the artifact must route
        // raw embeddings: its W times raw x equals the trained W times scaled x.
        double[] w = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50];   // d = 2, encoder dimension 2, one domain: input 5
        TrainingData.FoldEmbeddingScale(w, 2, 5, 2, 0.1);
        Assert.Equal(new[] { 0.1, 0.2, 0.3, 0.4, 5, 1, 2, 3, 4, 50 }, w.Select(v => Math.Round(v, 12)));
        var scaled = new MultiTaskRouterTrainer().Train(pairs, emb, SyntheticPairs.Pool, Quick with { EmbeddingScale = 0.05, Epochs = 40 });
        var result = OfflineExperiment.Evaluate(scaled, null, pairs, emb);
        Assert.True(result.Filtered.All.Routers["router"] > result.Filtered.All.BestSingle.Accuracy + 0.1);
    }

    [Fact]
    public void RouterLearnsWhichRmIsRightWhere()
    {
        var (pairs, emb) = ClusterSignal.Generate(3);
        var result = OfflineExperiment.Run(new MultiTaskRouterTrainer(), pairs, emb, SyntheticPairs.Pool, Quick, 0.5, seed: 1);
        var f = result.Report.Filtered.All;
        // Routing by cluster is right ~90% of the time before the filter; every single RM is right ~57%.
        Assert.True(f.Routers["router"] > f.BestSingle.Accuracy + 0.15, $"router {f.Routers["router"]:F3} vs best single {f.BestSingle.Accuracy:F3}");
        Assert.True(f.Routers["router"] > f.Majority, $"router {f.Routers["router"]:F3} vs majority {f.Majority:F3}");
    }

    [Fact]
    public void DomainInputCarriesTheSignalWhenAsked()
    {
        var (pairs, emb) = DomainSignal.Generate(4);
        var noise = emb.Select((e, i) => new PairEmbedding(emb[(i * 7919) % emb.Count].E, emb[(i * 7919) % emb.Count].E)).ToList();
        var with = OfflineExperiment.Run(new MultiTaskRouterTrainer(), pairs, noise, SyntheticPairs.Pool, Quick with { UseDomain = true }, 0.5, 1);
        var without = OfflineExperiment.Run(new MultiTaskRouterTrainer(), pairs, noise, SyntheticPairs.Pool, Quick, 0.5, 1);
        double aWith = with.Report.Filtered.All.Routers["router"], aWithout = without.Report.Filtered.All.Routers["router"];
        Assert.True(aWith > aWithout + 0.15, $"with domain {aWith:F3}, without {aWithout:F3}");
        Assert.True(aWith > with.Report.Filtered.All.BestSingle.Accuracy + 0.15);
    }

    [Fact]
    public void WithoutSignalTheRouterFallsBackToTheGloballyBestRm()
    {
        var data = new SyntheticPairs { Groups = 120, RightProbability = (_, _, n) => n == 1 ? 0.85 : 0.5 };
        var (pairs, emb) = data.Generate(5);
        var router = new MultiTaskRouterTrainer().Train(pairs, emb, SyntheticPairs.Pool, Quick);
        var choices = router.Route(emb, pairs);
        Assert.True(choices.Count(c => c == 1) >= 0.95 * choices.Length, $"rm1 chosen on {choices.Count(c => c == 1)} of {choices.Length} pairs");
    }

    [Fact]
    public void LambdaZeroLeavesTheClsHeadUntrained()
    {
        var (pairs, emb) = ClusterSignal.Generate(6);
        var noCls = new MultiTaskRouterTrainer().Train(pairs, emb, SyntheticPairs.Pool, Quick with { Lambda = 0 });
        var withCls = new MultiTaskRouterTrainer().Train(pairs, emb, SyntheticPairs.Pool, Quick);
        // E_cls starts as U(-0.01, 0.01); only the CLS loss moves it.
        Assert.All(noCls.Ecls, v => Assert.InRange(v, -0.01, 0.01));
        Assert.Contains(withCls.Ecls, v => Math.Abs(v) > 0.05);
    }

    [Fact]
    public void MetadataRecordsTheRun()
    {
        var (pairs, emb) = ClusterSignal.Generate(7);
        var o = Quick with { Seed = 9, Epochs = 50, Patience = 2 };
        var router = new MultiTaskRouterTrainer().Train(pairs, emb, SyntheticPairs.Pool, o);
        Assert.Equal(o, OfflineTrainingOptions.FromJson(router.Metadata["train.options"]));
        int best = int.Parse(router.Metadata["train.best_epoch"]), run = int.Parse(router.Metadata["train.epochs_run"]);
        Assert.InRange(best, 1, run);
        Assert.InRange(run, best, Math.Min(o.Epochs, best + o.Patience));
        Assert.Equal("validation", router.Metadata["train.loss_on"]);
        Assert.Equal(pairs.Count, int.Parse(router.Metadata["train.pairs"]) + int.Parse(router.Metadata["train.validation_pairs"]));
        Assert.Equal("synthetic", router.EncoderId);
        Assert.Equal(SyntheticPairs.Pool, router.Pool);
    }

    [Fact]
    public void BadInputIsRefusedWithAClearMessage()
    {
        var (pairs, emb) = ClusterSignal.Generate(8);
        var t = new MultiTaskRouterTrainer();
        Assert.Contains("nobody", Assert.Throws<ArgumentException>(() => t.Train(pairs, emb, ["rm0", "nobody"], Quick)).Message);
        Assert.Contains("embeddings", Assert.Throws<ArgumentException>(() => t.Train(pairs, emb.Take(3).ToList(), SyntheticPairs.Pool, Quick)).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => t.Train(pairs, emb, ["rm0", "rm0"], Quick)).Message);
        Assert.Contains("dimension", Assert.Throws<ArgumentException>(() => t.Train(pairs, emb, SyntheticPairs.Pool, Quick with { Dimension = 0 })).Message);
        var agree = pairs.Select(p => p with { Judgments = p.Judgments.ToDictionary(kv => kv.Key, _ => Data.Judgment.FromScores(1, 0)) }).ToList();
        Assert.Contains("disagreement", Assert.Throws<ArgumentException>(() => t.Train(agree, emb, SyntheticPairs.Pool, Quick with { Lambda = 0 })).Message);
    }
}
