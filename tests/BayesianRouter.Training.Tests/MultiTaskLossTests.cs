using TorchSharp;

namespace BayesianRouter.Training.Tests;

public class MultiTaskLossTests
{
    private static torch.Tensor T(double[] v, long rows) => torch.tensor(v, [rows, v.Length / rows], torch.ScalarType.Float64);

    private static double LogSigmoid(double x) => -Math.Log(1 + Math.Exp(-x));

    [Fact]
    public void BradleyTerryAveragesOverTheDisagreementTriples()
    {
        using var scope = torch.NewDisposeScope();
        // Pair 0: RM0 right, RM1 wrong, RM2 unknown -> triple (0 > 1). Pair 1: RM1 and RM2 right, RM0 wrong -> (1 > 0), (2 > 0).
        var s = T([0.5, -0.2, 3.0, 0.1, 0.4, -0.7], 2);
        var delta = T([1, 0, 0, 0, 1, 1], 2);
        var known = T([1, 1, 0, 1, 1, 1], 2);
        double expected = -(LogSigmoid(0.5 - -0.2) + LogSigmoid(0.4 - 0.1) + LogSigmoid(-0.7 - 0.1)) / 3;
        Assert.Equal(expected, MultiTaskLoss.BradleyTerry(s, delta, known).item<double>(), 12);
    }

    [Fact]
    public void BradleyTerryIsZeroWithoutDisagreement()
    {
        using var scope = torch.NewDisposeScope();
        var s = T([0.5, -0.2], 1);
        Assert.Equal(0.0, MultiTaskLoss.BradleyTerry(s, T([1, 1], 1), T([1, 1], 1)).item<double>());
    }

    [Fact]
    public void ClassificationIsTheMeanBinaryCrossEntropyOverKnownLabels()
    {
        using var scope = torch.NewDisposeScope();
        var z = T([0.3, -1.2, 2.0, 0.0], 2);
        var delta = T([1, 0, 0, 1], 2);
        var known = T([1, 1, 0, 1], 2);
        double expected = -(LogSigmoid(0.3) + LogSigmoid(1.2) + LogSigmoid(0.0)) / 3;
        Assert.Equal(expected, MultiTaskLoss.Classification(z, delta, known).item<double>(), 12);
        var total = MultiTaskLoss.Total(z, z, delta, known, 0.2).item<double>();
        Assert.Equal(MultiTaskLoss.BradleyTerry(z, delta, known).item<double>() + 0.2 * expected, total, 12);
    }
}
