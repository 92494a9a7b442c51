using BayesianRouter.Routing;
namespace BayesianRouter.Baselines;

/// <summary>Options of the LinUCB routers (<see cref="LinUcbRouter"/>, <see cref="LaserRouter"/>).</summary>
public sealed record LinUcbOptions
{
    /// <summary>alpha: weight of the exploration bonus alpha sqrt(x^T A^{-1} x) in the upper confidence bound.</summary>
    public double Alpha { get; init; } = 1.0;

    /// <summary>lambda: ridge regularisation, A = lambda I + sum x x^T (LinUCB's usual choice is 1).</summary>
    public double Regularisation { get; init; } = 1.0;

    internal void Validate()
    {
        if (!(Alpha >= 0) || !double.IsFinite(Alpha)) throw new ArgumentException($"LinUCB alpha must be finite and >= 0 (got {Alpha})");
        if (!(Regularisation > 0) || !double.IsFinite(Regularisation))
            throw new ArgumentException($"LinUCB regularisation must be positive and finite (got {Regularisation})");
    }
}
