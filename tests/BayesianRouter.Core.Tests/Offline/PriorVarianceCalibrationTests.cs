using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Core.Tests.Offline;

public class PriorVarianceCalibrationTests
{
    [Fact]
    public void ChoiceProbabilitiesMatchMonteCarloAndSumToOne()
    {
        double[] means = [0.3, 0.1, -0.2, 0.25];
        double[] sds = [0.2, 0.5, 0.1, 0.05];
        var p = PriorVarianceCalibration.ChoiceProbabilities(means, sds);
        Assert.Equal(1.0, p.Sum(), 5);
        var rng = new Random(4);
        var hits = new int[means.Length];
        const int draws = 200_000;
        for (int t = 0; t < draws; t++)
        {
            int best = 0;
            double top = double.NegativeInfinity;
            for (int n = 0; n < means.Length; n++)
            {
                double z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                double v = means[n] + sds[n] * z;
                if (v > top) (best, top) = (n, v);
            }
            hits[best]++;
        }
        for (int n = 0; n < means.Length; n++) Assert.Equal(hits[n] / (double)draws, p[n], 2);
        // equal means and spreads: 1 / N each; no spread: the argmax, ties to the lowest index
        Assert.All(PriorVarianceCalibration.ChoiceProbabilities([1, 1, 1], [0.3, 0.3, 0.3]), x => Assert.Equal(1.0 / 3, x, 5));
        Assert.Equal([0.0, 1.0, 0.0], PriorVarianceCalibration.ChoiceProbabilities([0, 2, 2], [0, 0, 0]));
        Assert.Equal(0.5, PriorVarianceCalibration.Phi(0), 7);
        Assert.Equal(0.975, PriorVarianceCalibration.Phi(1.959964), 6);
    }

    /// <summary>h = [e + e', 1]; arm a's BT score is 0.2 h0, arm b's is -0.2 h0: the router picks a when e + e' > 0.</summary>
    private static OfflineRouter Router() => new(["a", "b"], "enc", 1, 16, [], FusionActivation.Identity, 1,
        w: [1, 0], b: [0], ebt: [0.2, 0, -0.2, 0], ecls: new double[4]);

    private static (List<PreferencePair> Pairs, List<PairEmbedding> Embeddings) Pairs(double wrongShare, int count = 200)
    {
        var pairs = new List<PreferencePair>();
        var embeddings = new List<PairEmbedding>();
        for (int i = 0; i < count; i++)
        {
            float e = (i % 2 == 0 ? 1 : -1) * (0.2f + 0.6f * i / count); // the router picks a on even pairs, b on odd ones
            bool routerRight = (i * wrongShare) % 1 >= wrongShare - 1e-9; // wrong on every (1 / share)-th pair, at every confidence
            string right = (i % 2 == 0) == routerRight ? "a" : "b";
            pairs.Add(new PreferencePair
            {
                Id = $"p{i}", Group = $"g{i}", Prompt = "q", ResponseA = "x", ResponseB = "y", Preferred = Preference.A,
                Judgments = new Dictionary<string, Judgment>
                {
                    ["a"] = Judgment.FromVerdict(right == "a" ? Preference.A : Preference.B),
                    ["b"] = Judgment.FromVerdict(right == "b" ? Preference.A : Preference.B),
                },
            });
            embeddings.Add(new PairEmbedding([e / 2], [e / 2]));
        }
        return (pairs, embeddings);
    }

    [Fact]
    public void AnOfflineRouterRightEverywhereGetsTheSmallestVarianceAndOneOftenWrongALargerOne()
    {
        var (right, rightEmb) = Pairs(0);
        var sure = PriorVarianceCalibration.Fit(Router(), right, rightEmb);
        Assert.Equal(200, sure.Pairs);
        Assert.True(sure.Variance < 0.02, sure.ToString()); // surer than the paper's prior
        // the largest candidate whose draws (almost) never leave the router's right choice: the next one does
        int k = sure.Candidates.ToList().IndexOf(sure.Variance);
        Assert.True(sure.MeanLogProbability[k] > -PriorVarianceCalibration.Tolerance, sure.ToString());
        Assert.True(sure.MeanLogProbability[k + 1] < -PriorVarianceCalibration.Tolerance, sure.ToString());

        var (wrong, wrongEmb) = Pairs(0.25);
        var unsure = PriorVarianceCalibration.Fit(Router(), wrong, wrongEmb);
        Assert.True(unsure.Variance >= 0.02, unsure.ToString());
        Assert.True(unsure.Variance < PriorVarianceCalibration.DefaultGrid.Max(), unsure.ToString());
        // the chosen candidate scores best, and a prior that never leaves the offline choice is punished
        Assert.Equal(unsure.MeanLogProbability.Max(), unsure.MeanLogProbability[unsure.Candidates.ToList().IndexOf(unsure.Variance)]);
        Assert.True(unsure.MeanLogProbability[0] < unsure.MeanLogProbability.Max() - 1);

        // pairs on which both RMs are right (or wrong) say nothing
        var both = right.Select(p => p with { Judgments = new Dictionary<string, Judgment> { ["a"] = Judgment.FromVerdict(Preference.A), ["b"] = Judgment.FromVerdict(Preference.A) } }).ToList();
        Assert.Equal(0, PriorVarianceCalibration.Fit(Router(), both, rightEmb).Pairs);
        Assert.Throws<ArgumentException>(() => PriorVarianceCalibration.Fit(Router(), right, rightEmb, [0.1, -1]));
    }
}
