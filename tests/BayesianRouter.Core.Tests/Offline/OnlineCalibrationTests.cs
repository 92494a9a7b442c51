using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Core.Tests.Offline;

public class OnlineCalibrationTests
{
    [Fact]
    public void LogisticFitRecoversKnownCoefficients()
    {
        var rng = new Random(1);
        var s = Enumerable.Range(0, 20000).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        var y = s.Select(v => rng.NextDouble() < 1 / (1 + Math.Exp(-(1.5 * v - 0.5))) ? 1.0 : 0.0).ToArray();
        var (a, c) = OnlineCalibration.Logistic(s, y);
        Assert.Equal(1.5, a, 0.1);
        Assert.Equal(-0.5, c, 0.1);
    }

    [Fact]
    public void LogisticFitOnSeparableDataIsTheFinitePosteriorModeThatSeparatesIt()
    {
        // Separable data has no maximum-likelihood fit (a -> infinity); the weak N(0, 10^2) prior makes the mode finite.
        double[] s = [-2, -1, -0.5, 0.5, 1, 2];
        double[] y = [0, 0, 0, 1, 1, 1];
        var (a, c) = OnlineCalibration.Logistic(s, y);
        double P(double v) => 1 / (1 + Math.Exp(-(a * v + c)));
        // it separates the classes, and the data is symmetric about s = 0 with the labels flipped: the mode has c = 0
        Assert.All(s.Zip(y), x => Assert.Equal(x.Second == 1, P(x.First) > 0.5));
        Assert.Equal(0, c, 6);
        // it is the mode: the log-posterior's gradient -a / 100 + sum (y - p) s vanishes there (a stopped iteration would not)
        double gradA = -a / 100 + s.Zip(y).Sum(x => (x.Second - P(x.First)) * x.First);
        double gradC = -c / 100 + s.Zip(y).Sum(x => x.Second - P(x.First));
        Assert.Equal(0, gradA, 6);
        Assert.Equal(0, gradC, 6);
        // and the prior is what holds it: far steeper than the fit of the same scores with one label flipped
        var (noisy, _) = OnlineCalibration.Logistic(s, [0, 0, 1, 0, 1, 1]);
        Assert.True(a > 4 * noisy, $"a = {a} on separable data, {noisy} on noisy data");
    }

    [Fact]
    public void VarianceComponentsRecoverTheLevelsOfNestedData()
    {
        // residual = theta_arm + delta_domain + delta_prompt + noise with known variances
        const double tau0 = 0.004, tauD = 0.01, tauP = 0.05, sigma2 = 0.15;
        var rng = new Random(7);
        double G(double v) => Math.Sqrt(v) * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var rows = new List<(int, string, string, double)>();
        for (int arm = 0; arm < 8; arm++)
        {
            double a = G(tau0);
            for (int d = 0; d < 12; d++)
            {
                double dd = a + G(tauD);
                for (int g = 0; g < 40; g++)
                {
                    double gg = dd + G(tauP);
                    for (int k = 0; k < 6; k++) rows.Add((arm, $"d{d}", $"d{d}/g{g}", gg + G(sigma2)));
                }
            }
        }
        var v = OnlineCalibration.Variances(rows);
        Assert.Equal(sigma2, v.NoiseVariance, 0.01);
        Assert.Equal(tauP, v.PromptVariance, 0.01);
        Assert.Equal(tauD, v.DomainVariance, 0.006);
        Assert.InRange(v.GlobalVariance, OnlineCalibration.Floor, 0.02);
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        var c = new OnlineCalibration(0.7, -0.2, new HierarchicalOptions { GlobalVariance = 0.003, DomainVariance = 0.004, PromptVariance = 0.06, NoiseVariance = 0.17 });
        var back = OnlineCalibration.FromMetadata(c.ToMetadata());
        Assert.Equal(c, back);
        Assert.Null(OnlineCalibration.FromMetadata(new Dictionary<string, string>()));
    }

    private static OfflineRouter Router(IReadOnlyDictionary<string, string>? meta = null) => new(
        ["a", "b"], "enc", 1, 16, [], FusionActivation.Identity, 1,
        w: [1, 0], b: [0], ebt: [1, 0, -1, 0.5], ecls: new double[4], meta);

    [Fact]
    public void FactoryBuildsThePapersRouterWithTheBtPrior()
    {
        var f = new BayesianRouterFactory(Router(), new BayesianRouterOptions { Model = OnlineModel.Paper });
        var anchored = Assert.IsType<AnchoredThompsonRouter>(f.Create(3));   // anchored on the offline router's pick by default
        var r = Assert.IsType<ThompsonSamplingRouter>(anchored.Inner);
        Assert.IsType<ThompsonSamplingRouter>(new BayesianRouterFactory(Router(), new BayesianRouterOptions { Model = OnlineModel.Paper, IncumbentConfidence = 0 }).Create(3));
        Assert.Equal(new[] { -1, 0.5 }, r.Posterior(1).PriorMean());
        Assert.Equal(0.02, r.Options.PriorVariance);
        var x = f.Features(r, new Features.PairEmbedding([0.25f], [0.25f]), "dom", "g");
        Assert.Equal(new[] { 0.5, 1 }, x);
    }

    [Fact]
    public void FactoryReadsTheCalibrationFromTheArtifactAndStartsAtTheOfflineChoice()
    {
        var cal = new OnlineCalibration(2, 0.1, new HierarchicalOptions { PromptVariance = 0.07 });
        var f = new BayesianRouterFactory(Router(cal.ToMetadata()), new BayesianRouterOptions { GlobalExploration = 0, DomainExploration = 0 });
        Assert.Equal(cal, f.Calibration);
        var router = f.Create(1);
        var r = Assert.IsType<HierarchicalThompsonRouter>(Assert.IsType<AnchoredThompsonRouter>(router).Inner);
        Assert.Equal(0.07, r.Options.PromptVariance);
        var offline = Router();
        foreach (var e in new[] { -1f, -0.2f, 0.1f, 0.9f })
        {
            var emb = new Features.PairEmbedding([e], [e]);
            var x = f.Features(router, emb, "d", $"g{e}");
            Assert.Equal(4, x.Length);
            Assert.Equal(offline.Choose(offline.Features(emb, "d")), r.Select([x])[0].Arm);
            Assert.Equal(offline.Choose(offline.Features(emb, "d")), router.Select([x])[0].Arm);
        }
    }
}
