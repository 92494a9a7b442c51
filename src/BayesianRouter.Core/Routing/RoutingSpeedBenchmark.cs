using System.Diagnostics;
using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// One measured configuration: wall-clock microseconds of select + update per pair, and the process CPU time per
/// pair over the same interval (all threads; above the wall time when both cores work, far below it when other
/// processes hold the cores).
/// </summary>
public sealed record RoutingSpeed(int Dimension, int Arms, int Batch, int Batches, double MicrosecondsPerPair, double CpuMicrosecondsPerPair);

/// <summary>
/// Measures the Thompson-sampling router's select + update per pair on seeded random features (unit-norm
/// Gaussian vectors) and uniform rewards: a few warm-up batches, then <c>batches</c> timed batches of
/// select followed by update with every pair's feedback. Used by <c>bayesrouter bench routing</c>.
/// </summary>
public static class RoutingSpeedBenchmark
{
    public static readonly int[] DefaultDimensions = [64, 128, 384, 576];
    public static readonly int[] DefaultArms = [4, 8, 16];

    public static RoutingSpeed Measure(int dimension, int arms, int batch = 64, int batches = 20, long seed = 0, int warmupBatches = 20)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be positive");
        if (arms <= 0) throw new ArgumentOutOfRangeException(nameof(arms), arms, "arms must be positive");
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch size must be positive");
        if (batches <= 0) throw new ArgumentOutOfRangeException(nameof(batches), batches, "number of batches must be positive");
        if (warmupBatches < 0) throw new ArgumentOutOfRangeException(nameof(warmupBatches), warmupBatches, "warm-up batches cannot be negative");
        var rng = new SeededRandom(seed, stream: 7);
        var router = new ThompsonSamplingRouter(arms, dimension, new ThompsonSamplingOptions { Seed = seed });
        var data = Enumerable.Range(0, warmupBatches + batches).Select(_ => Batch(rng, batch, dimension)).ToArray();
        var rewards = Enumerable.Range(0, warmupBatches + batches).Select(_ => Enumerable.Range(0, batch).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        void Step(int t)
        {
            var decisions = router.Select(data[t]);
            var feedback = new ArmFeedback[batch];
            for (int i = 0; i < batch; i++) feedback[i] = new ArmFeedback(data[t][i], decisions[i].Arm, rewards[t][i]);
            router.Update(feedback);
        }
        for (int t = 0; t < warmupBatches; t++) Step(t);
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (int t = warmupBatches; t < warmupBatches + batches; t++) Step(t);
        watch.Stop();
        process.Refresh();
        double pairs = (double)batch * batches;
        return new RoutingSpeed(dimension, arms, batch, batches, watch.Elapsed.TotalMicroseconds / pairs,
            (process.TotalProcessorTime - cpu0).TotalMicroseconds / pairs);
    }

    private static double[][] Batch(SeededRandom rng, int batch, int dimension)
    {
        var rows = new double[batch][];
        for (int i = 0; i < batch; i++)
        {
            var h = rows[i] = new double[dimension];
            double norm = 0;
            for (int k = 0; k < dimension; k++) norm += (h[k] = rng.NextGaussian()) * h[k];
            norm = Math.Sqrt(norm);
            for (int k = 0; k < dimension; k++) h[k] /= norm;
        }
        return rows;
    }
}
