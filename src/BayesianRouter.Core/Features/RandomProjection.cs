namespace BayesianRouter.Features;

/// <summary>
/// A fixed seeded Gaussian projection R^in -> R^out (entries N(0, 1/out)), followed by a constant 1 so linear routers
/// on untrained features still have an intercept (each arm's overall accuracy).
/// </summary>
public sealed class RandomProjection
{
    private readonly double[] _matrix;

    public RandomProjection(int inputDimension, int outputDimension, int seed)
    {
        if (inputDimension < 1 || outputDimension < 1) throw new ArgumentOutOfRangeException(nameof(outputDimension));
        InputDimension = inputDimension;
        OutputDimension = outputDimension;
        _matrix = new double[inputDimension * outputDimension];
        var rng = new Random(seed);
        double scale = 1.0 / Math.Sqrt(outputDimension);
        for (int i = 0; i < _matrix.Length; i++) _matrix[i] = rng.NextGaussian() * scale;
    }

    public int InputDimension { get; }
    public int OutputDimension { get; }

    /// <summary>[P x; 1], length OutputDimension + 1.</summary>
    public double[] Apply(double[] x)
    {
        if (x.Length != InputDimension) throw new ArgumentException($"input has dimension {x.Length}, expected {InputDimension}");
        var y = new double[OutputDimension + 1];
        for (int r = 0; r < OutputDimension; r++)
        {
            var row = _matrix.AsSpan(r * InputDimension, InputDimension);
            double s = 0;
            for (int c = 0; c < row.Length; c++) s += row[c] * x[c];
            y[r] = s;
        }
        y[OutputDimension] = 1.0;
        return y;
    }
}

internal static class RandomGaussian
{
    /// <summary>A standard normal draw (Box-Muller) from a seeded generator.</summary>
    public static double NextGaussian(this Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
