using TorchSharp;
using static TorchSharp.torch;

namespace BayesianRouter.Training;

/// <summary>
/// Tensor-with-number operations whose TorchSharp Scalar is created, held and disposed here. TorchSharp 0.107 turns a
/// double into a temporary Scalar that only the finalizer frees; the runtime may finalize it while the native call that
/// reads it is still running, and libtorch then aborts the process ("Unknown scalar type", seen in about one
/// simulation in ten; dotnet/TorchSharp pull requests 1434 and 1496 are the upstream fix). A Scalar held in a
/// <c>using</c> stays alive until the call has returned.
/// </summary>
internal static class ScalarOps
{
    /// <summary>Runs <paramref name="op"/> with <paramref name="v"/> as a Scalar that lives until it returns.</summary>
    private static Tensor With(double v, Func<Scalar, Tensor> op)
    {
        using var s = v.ToScalar();
        return op(s);
    }

    /// <summary>Likewise with two Scalars (TorchSharp's <c>add(x)</c> and <c>add_(x)</c> make an implicit alpha = 1).</summary>
    private static Tensor With(double v, double w, Func<Scalar, Scalar, Tensor> op)
    {
        using var s = v.ToScalar();
        using var t = w.ToScalar();
        return op(s, t);
    }

    /// <summary>t + other, with an explicitly held alpha = 1.</summary>
    public static Tensor Plus(this Tensor t, Tensor other) => With(1.0, alpha => t.add(other, alpha));


    public static Tensor Mul(this Tensor t, double v) => With(v, s => t.mul(s));
    public static Tensor Div(this Tensor t, double v) => With(v, s => t.div(s));
    public static Tensor MulInPlace(this Tensor t, double v) => With(v, s => t.mul_(s));
    public static Tensor AddInPlace(this Tensor t, double v) => With(v, 1.0, (s, alpha) => t.add_(s, alpha));
    public static Tensor SubInPlace(this Tensor t, double v) => With(v, s => t.sub_(s));
    public static Tensor ClampMin(this Tensor t, double v) => With(v, s => t.clamp_min(s));

    /// <summary>t += alpha * other.</summary>
    public static Tensor AddScaledInPlace(this Tensor t, Tensor other, double alpha) => With(alpha, s => t.add_(other, s));

    /// <summary>t += value * a * b.</summary>
    public static Tensor AddProductInPlace(this Tensor t, Tensor a, Tensor b, double value) => With(value, s => t.addcmul_(a, b, s));

    /// <summary>t += value * a / b.</summary>
    public static Tensor AddQuotientInPlace(this Tensor t, Tensor a, Tensor b, double value) => With(value, s => t.addcdiv_(a, b, s));
}

/// <summary>
/// AdamW (Loshchilov and Hutter; PyTorch's update without amsgrad) over a fixed list of parameters, written with
/// <see cref="ScalarOps"/> so that no Scalar is left to the finalizer: decoupled decay p *= 1 - lr wd, moments
/// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
/// </summary>
internal sealed class ExplicitAdamW : IDisposable
{
    private readonly TorchSharp.Modules.Parameter[] _parameters;
    private readonly Tensor[] _m, _v;
    private readonly double _weightDecay, _beta1, _beta2, _eps;
    private double _lr;
    private int _step;

    public ExplicitAdamW(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr, double weightDecay,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _parameters = parameters.ToArray();
        _m = _parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        _v = _parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        (_lr, _weightDecay, _beta1, _beta2, _eps) = (lr, weightDecay, beta1, beta2, eps);
    }

    /// <summary>The learning rate of the next steps (a schedule may change it between steps).</summary>
    public double LearningRate
    {
        get => _lr;
        set => _lr = value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "learning rate must be > 0");
    }

    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad?.zero_();
    }

    public void Step()
    {
        _step++;
        double bias1 = 1 - Math.Pow(_beta1, _step), bias2 = 1 - Math.Pow(_beta2, _step);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var g = p.grad;
            if (g is null) continue;
            p.MulInPlace(1 - _lr * _weightDecay);
            _m[i].MulInPlace(_beta1).AddScaledInPlace(g, 1 - _beta1);
            _v[i].MulInPlace(_beta2).AddProductInPlace(g, g, 1 - _beta2);
            var denom = _v[i].sqrt().Div(Math.Sqrt(bias2)).AddInPlace(_eps);
            p.AddQuotientInPlace(_m[i], denom, -_lr / bias1);
        }
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
