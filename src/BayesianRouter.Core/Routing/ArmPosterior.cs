using BayesianRouter.LinearAlgebra;
using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// One arm's Gaussian posterior N(mu, Sigma) over the weight vector w of the Bayesian linear model
/// r = w^T h + eps, eps ~ N(0, sigma^2) (paper Eq. 4), kept in precision (information) form:
/// the precision A = Sigma^{-1} as its upper Cholesky factor R (A = R^T R), the linear term b = A mu, and mu itself.
/// <list type="bullet">
/// <item>Prior: A = I / sigma_w^2, b = mu0 / sigma_w^2 (mu0 = 0, or the offline E_bt row: prior injection, section 3.4).</item>
/// <item>Observation (h, r): A += h h^T / sigma^2 by a rank-one Cholesky update of R (O(d^2)), b += r h / sigma^2.
/// Applying a batch's observations and then recomputing mu = A^{-1} b is exactly Eq. 5-6, and after any number of
/// batches A and b equal the closed-form Bayesian linear regression sums.</item>
/// <item>Decision quantities: h^T mu (O(d)) and h^T Sigma h = ||R^{-T} h||^2 (a triangular solve, O(d^2 / 2)); no
/// factorisation per decision.</item>
/// </list>
/// Why it stays symmetric positive definite over thousands of updates: A is never stored as a matrix that
/// accumulates rounding; it is R^T R with R upper triangular and a strictly positive diagonal, which is symmetric
/// positive definite by construction. A rank-one update only rotates (each new diagonal entry is
/// hypot(R_kk, x_k) >= R_kk), and forgetting refactors a positive combination of two positive definite matrices.
/// </summary>
public sealed class ArmPosterior
{
    private double[] _r;       // upper Cholesky factor of the precision, d x d row-major
    private double[] _b;       // linear term A mu
    private double[] _mu;      // posterior mean
    private double[] _priorB;  // prior linear term mu0 / sigma_w^2 (the target of forgetting)

    /// <summary>A posterior at its prior N(<paramref name="priorMean"/> or 0, <paramref name="priorVariance"/> I).</summary>
    public ArmPosterior(int dimension, double priorVariance, double noiseVariance, ReadOnlySpan<double> priorMean = default)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be positive");
        if (!(priorVariance > 0) || !double.IsFinite(priorVariance))
            throw new ArgumentOutOfRangeException(nameof(priorVariance), priorVariance, "prior variance must be positive and finite");
        if (!(noiseVariance > 0) || !double.IsFinite(noiseVariance))
            throw new ArgumentOutOfRangeException(nameof(noiseVariance), noiseVariance, "noise variance must be positive and finite");
        if (!priorMean.IsEmpty && priorMean.Length != dimension)
            throw new ArgumentException($"prior mean has dimension {priorMean.Length}, expected {dimension}");
        if (!VectorOps.AllFinite(priorMean)) throw new ArgumentException("prior mean holds a non-finite value");
        Dimension = dimension;
        PriorVariance = priorVariance;
        NoiseVariance = noiseVariance;
        _r = new double[dimension * dimension];
        double rkk = 1.0 / Math.Sqrt(priorVariance);
        for (int k = 0; k < dimension; k++) _r[k * dimension + k] = rkk;
        _mu = new double[dimension];
        if (!priorMean.IsEmpty) priorMean.CopyTo(_mu);
        _priorB = new double[dimension];
        for (int k = 0; k < dimension; k++) _priorB[k] = _mu[k] / priorVariance;
        _b = (double[])_priorB.Clone();
    }

    public int Dimension { get; }

    /// <summary>sigma_w^2: the prior covariance is sigma_w^2 I.</summary>
    public double PriorVariance { get; }

    /// <summary>sigma^2: the observation noise variance of Eq. 4.</summary>
    public double NoiseVariance { get; }

    /// <summary>Number of observations applied since the prior.</summary>
    public long Observations { get; private set; }

    /// <summary>mu: the posterior mean (up to date after every <see cref="Observe(IReadOnlyList{double[]}, IReadOnlyList{double})"/> batch's <see cref="RefreshMean"/>).</summary>
    public ReadOnlySpan<double> Mean => _mu;

    /// <summary>The prior mean mu0.</summary>
    public double[] PriorMean() => _priorB.Select(x => x * PriorVariance).ToArray();

    /// <summary>Upper Cholesky factor R of the precision (A = R^T R), row-major.</summary>
    public ReadOnlySpan<double> PrecisionFactor => _r;

    /// <summary>The precision Sigma^{-1} = R^T R, a new d x d array (O(d^3)).</summary>
    public double[] Precision() => Cholesky.Gram(_r, Dimension);

    /// <summary>The covariance Sigma, a new d x d array (O(d^3); for inspection, never used to decide).</summary>
    public double[] Covariance() => Cholesky.InverseOfGram(_r, Dimension);

    /// <summary>h^T mu.</summary>
    public double MeanScore(ReadOnlySpan<double> h) => VectorOps.Dot(h, _mu);

    /// <summary>Contexts per block of the quadratic forms and of the fused rank-one updates.</summary>
    internal const int Block = 4;

    /// <summary>Workspace of <see cref="Block"/> x d values, reused by every call (not part of the state).</summary>
    private double[]? _work;
    private double[] Work => _work ??= new double[Block * Dimension];

    /// <summary>
    /// h^T Sigma h for contexts[first .. first + count) (count &lt;= 4) into <paramref name="variances"/>. Uses this
    /// posterior's workspace: one call at a time per posterior.
    /// </summary>
    internal void ScoreVariances(IReadOnlyList<double[]> contexts, int first, int count, Span<double> variances)
    {
        var work = Work;
        for (int i = 0; i < count; i++) contexts[first + i].CopyTo(work, i * Dimension);
        Cholesky.InverseQuadraticForms(_r, Dimension, work, count, variances);
    }

    /// <summary>
    /// Adds one observation (h, r): A += h h^T / sigma^2, b += r h / sigma^2. The mean is stale until
    /// <see cref="RefreshMean"/>.
    /// </summary>
    public void Observe(ReadOnlySpan<double> h, double reward) => Observe([h.ToArray()], [reward]);

    /// <summary>
    /// Adds observations in order (Eq. 5-6 sums): the rank-one updates of R run four at a time, bit-identical to
    /// adding them one by one. The mean is stale until <see cref="RefreshMean"/>. Throws, changing nothing, on a
    /// context of the wrong dimension or a non-finite value.
    /// </summary>
    public void Observe(IReadOnlyList<double[]> contexts, IReadOnlyList<double> rewards)
    {
        if (contexts.Count != rewards.Count) throw new ArgumentException($"{contexts.Count} contexts but {rewards.Count} rewards");
        int d = Dimension, count = contexts.Count;
        for (int i = 0; i < count; i++)
        {
            var h = contexts[i];
            if (h.Length != d) throw new ArgumentException($"context {i} has dimension {h.Length}, expected {d}");
            if (!VectorOps.AllFinite(h) || !double.IsFinite(rewards[i]))
                throw new ArgumentException($"observation {i} holds a non-finite value");
        }
        double scale = 1.0 / Math.Sqrt(NoiseVariance);
        var xs = Work;
        for (int first = 0; first < count; first += Block)
        {
            int size = Math.Min(Block, count - first);
            for (int i = 0; i < size; i++)
            {
                var h = contexts[first + i];
                for (int k = 0; k < d; k++) xs[i * d + k] = h[k] * scale;
            }
            Cholesky.RankUpdate(_r, d, xs, size);
        }
        for (int i = 0; i < count; i++) VectorOps.Axpy(rewards[i] / NoiseVariance, contexts[i], _b);
        Observations += count;
    }

    /// <summary>mu = A^{-1} b by two triangular solves (O(d^2)); Eq. 6.</summary>
    public void RefreshMean()
    {
        _b.CopyTo(_mu, 0);
        Cholesky.SolveTransposed(_r, Dimension, _mu);
        Cholesky.Solve(_r, Dimension, _mu);
    }

    /// <summary>
    /// Forgetting with factor gamma in (0, 1]: A &lt;- gamma A + (1 - gamma) I / sigma_w^2 and
    /// b &lt;- gamma b + (1 - gamma) mu0 / sigma_w^2, i.e. the posterior is pulled back toward the prior so that an
    /// observation's weight decays as gamma^age (an effective memory of about 1 / (1 - gamma) batches) while the
    /// precision never falls below the prior's. Costs one O(d^3) refactorisation; gamma = 1 does nothing.
    /// </summary>
    public void Forget(double gamma)
    {
        if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "forgetting factor must be in (0, 1]");
        if (gamma == 1) return;
        int d = Dimension;
        var a = Cholesky.Gram(_r, d);
        for (int i = 0; i < a.Length; i++) a[i] *= gamma;
        double p0 = (1 - gamma) / PriorVariance;
        for (int k = 0; k < d; k++) a[k * d + k] += p0;
        Cholesky.Factor(a, d);
        _r = a;
        for (int k = 0; k < d; k++) _b[k] = gamma * _b[k] + (1 - gamma) * _priorB[k];
        RefreshMean();
    }

    internal void WriteState(BinaryWriter w)
    {
        w.Write(Dimension);
        w.Write(PriorVariance);
        w.Write(NoiseVariance);
        w.Write(Observations);
        w.WriteArray(_r);
        w.WriteArray(_b);
        w.WriteArray(_mu);
        w.WriteArray(_priorB);
    }

    /// <summary>Reads a state written by <see cref="WriteState"/> for a posterior of this shape; returns the install action.</summary>
    internal Action ReadState(BinaryReader r, string what)
    {
        int d = r.ReadExpected(Dimension, $"{what} dimension");
        r.ReadExpected(PriorVariance, $"{what} prior variance");
        r.ReadExpected(NoiseVariance, $"{what} noise variance");
        long observations = r.ReadInt64();
        if (observations < 0) throw new InvalidDataException($"{what} has a negative observation count");
        var rf = r.ReadArray(d * d, $"{what} precision factor");
        for (int i = 0; i < d; i++)
        {
            if (!(rf[i * d + i] > 0)) throw new InvalidDataException($"{what} precision factor has a non-positive diagonal entry at {i}");
            for (int j = 0; j < i; j++)
                if (rf[i * d + j] != 0) throw new InvalidDataException($"{what} precision factor is not upper triangular");
        }
        var b = r.ReadArray(d, $"{what} linear term");
        var mu = r.ReadArray(d, $"{what} mean");
        var priorB = r.ReadArray(d, $"{what} prior linear term");
        return () =>
        {
            _r = rf; _b = b; _mu = mu; _priorB = priorB;
            Observations = observations;
        };
    }
}
