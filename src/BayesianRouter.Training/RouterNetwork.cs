using BayesianRouter.Offline;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace BayesianRouter.Training;

/// <summary>
/// The offline router's trainable part (paper section 3.2) in float64: the fusing layer W, b and the two heads
/// E_bt, E_cls over h = [act(W x + b); 1] (the appended 1 gives every RM a bias: its global strength).
/// </summary>
internal sealed class RouterNetwork : IDisposable
{
    public RouterNetwork(int input, int dimension, int arms, FusionActivation activation, Generator generator)
    {
        Input = input;
        Dimension = dimension;
        Arms = arms;
        Activation = activation;
        // nn.Linear's default initialisation: U(-1/sqrt(in), 1/sqrt(in)); heads start near zero so every RM starts equal.
        double bound = 1.0 / Math.Sqrt(input);
        W = Uniform([dimension, input], bound, generator);
        B = Uniform([dimension], bound, generator);
        Ebt = Uniform([arms, dimension + 1], 0.01, generator);
        Ecls = Uniform([arms, dimension + 1], 0.01, generator);
    }

    private RouterNetwork(OfflineRouter router)
    {
        Input = router.InputDimension;
        Dimension = router.FusedDimension;
        Arms = router.Pool.Count;
        Activation = router.Activation;
        W = FromArray(router.W, [Dimension, Input]);
        B = FromArray(router.B, [Dimension]);
        Ebt = FromArray(router.Ebt, [Arms, Dimension + 1]);
        Ecls = FromArray(router.Ecls, [Arms, Dimension + 1]);
    }

    /// <summary>The network holding a trained artifact's weights (to compare TorchSharp's forward pass with the core's).</summary>
    public static RouterNetwork From(OfflineRouter router) => new(router);

    private static Parameter FromArray(double[] values, long[] shape) =>
        new(torch.tensor(values, shape, ScalarType.Float64), requires_grad: true);

    public int Input { get; }
    public int Dimension { get; }
    public int Arms { get; }
    public FusionActivation Activation { get; }
    public Parameter W { get; }
    public Parameter B { get; }
    public Parameter Ebt { get; }
    public Parameter Ecls { get; }

    public IEnumerable<Parameter> Parameters() => [W, B, Ebt, Ecls];

    private static Parameter Uniform(long[] shape, double bound, Generator g)
    {
        using var u = torch.rand(shape, dtype: ScalarType.Float64, generator: g);
        using var scaled = u.Mul(2 * bound).SubInPlace(bound);
        return new Parameter(scaled.detach().clone(), requires_grad: true);
    }

    /// <summary>h = [act(x W^T + b); 1] with dropout <paramref name="dropout"/> on the fused part when training.</summary>
    public Tensor Features(Tensor x, double dropout, bool training)
    {
        var pre = x.matmul(W.t()).Plus(B);
        var act = Activation switch
        {
            FusionActivation.Tanh => pre.tanh(),
            FusionActivation.Relu => pre.relu(),
            _ => pre,
        };
        if (training && dropout > 0) act = nn.functional.dropout(act, dropout, training: true);
        var ones = torch.ones([x.shape[0], 1], dtype: ScalarType.Float64);
        return torch.cat([act, ones], 1);
    }

    /// <summary>BT ability scores s[i, n] = &lt;h_i, E_bt[n]&gt; (Eq. 2).</summary>
    public Tensor BtScores(Tensor h) => h.matmul(Ebt.t());

    /// <summary>CLS logits z[i, n] = &lt;h_i, E_cls[n]&gt; (Eq. 3).</summary>
    public Tensor ClsLogits(Tensor h) => h.matmul(Ecls.t());

    public static double[] ToArray(Tensor t) => t.detach().contiguous().data<double>().ToArray();

    public void Dispose()
    {
        foreach (var p in Parameters()) p.Dispose();
    }
}
