using BayesianRouter.Baselines;
using BayesianRouter.Routing;
using System.Diagnostics;
using BayesianRouter.State;

namespace BayesianRouter.Speed;

/// <summary>
/// One measured configuration: wall-clock microseconds of select + update per pair over all timed batches; the same
/// for the fastest batch (what the code costs when no other process takes the cores); and the process CPU time per
/// pair over the timed batches (all threads).
/// </summary>
public sealed record RoutingSpeed(int Dimension, int Arms, int Batch, int Batches, double MicrosecondsPerPair,
    double FastestBatchMicrosecondsPerPair, double CpuMicrosecondsPerPair);

/// <summary>
/// Measures the Thompson-sampling router's select + update per pair on seeded random features (unit-norm
/// Gaussian vectors) and uniform rewards: untimed warm-up batches, then <c>batches</c> timed batches of select
/// followed by update with every pair's feedback. Used by <c>bayesrouter bench routing</c>.
/// </summary>
public static class RoutingSpeedBenchmark
{
    public static readonly int[] DefaultDimensions = [64, 128, 384, 576];
    public static readonly int[] DefaultArms = [4, 8, 16];

    /// <param name="warmupBatches">Untimed batches run first (at least this many, and for at least
    /// <paramref name="minimumWarmup"/>), so the runtime has compiled the optimised code before timing.</param>
    /// <param name="forgetting">The router's forgetting factor (1 = the paper; below 1 adds an O(d^3) step per arm per batch).</param>
    /// <param name="monteCarloDraws">Draws of the selection-probability estimate per pair (0 = not estimated).</param>
    /// <param name="model">Paper: <see cref="ThompsonSamplingRouter"/> on h. Hierarchical: <see cref="HierarchicalThompsonRouter"/>
    /// on a random BT head over h (calibrated by a sigmoid), pairs from 8 domains and 1,000 prompts that the stream revisits;
    /// the time includes building each pair's context (interning its domain and prompt).</param>
    public static RoutingSpeed Measure(int dimension, int arms, int batch = 64, int batches = 20, long seed = 0, int warmupBatches = 20,
        TimeSpan? minimumWarmup = null, double forgetting = 1.0, int monteCarloDraws = 0, OnlineModel model = OnlineModel.Paper)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be positive");
        if (arms <= 0) throw new ArgumentOutOfRangeException(nameof(arms), arms, "arms must be positive");
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch size must be positive");
        if (batches <= 0) throw new ArgumentOutOfRangeException(nameof(batches), batches, "number of batches must be positive");
        if (warmupBatches < 0) throw new ArgumentOutOfRangeException(nameof(warmupBatches), warmupBatches, "warm-up batches cannot be negative");
        var rng = new SeededRandom(seed, stream: 7);
        IRouter router;
        Func<double[], double[]> context = h => h;
        if (model == OnlineModel.Hierarchical)
        {
            var head = Batch(rng, arms, dimension);
            var calibration = new Offline.OnlineCalibration(1, 0.5, new HierarchicalOptions());
            var tree = new HierarchicalThompsonRouter(arms, dimension,
                h => calibration.Probabilities(head.Select(row => VectorDot(row, h)).ToArray()), new HierarchicalOptions { Seed = seed });
            var keys = new SeededRandom(seed, stream: 8);
            context = h =>
            {
                int prompt = keys.NextInt(1000);
                return tree.Context(h, $"domain {prompt % 8}", $"prompt {prompt}");
            };
            router = tree;
        }
        else
        {
            router = new ThompsonSamplingRouter(arms, dimension, new ThompsonSamplingOptions
            {
                Seed = seed, Forgetting = forgetting, MonteCarloDraws = monteCarloDraws,
            });
        }
        void Step(double[][] features, double[] rewards)
        {
            var contexts = features.Select(context).ToArray();
            var decisions = router.Select(contexts);
            var feedback = new ArmFeedback[contexts.Length];
            for (int i = 0; i < feedback.Length; i++) feedback[i] = new ArmFeedback(contexts[i], decisions[i].Arm, rewards[i]);
            router.Update(feedback);
        }
        double[] Rewards() => Enumerable.Range(0, batch).Select(_ => rng.NextDouble()).ToArray();
        var warm = Stopwatch.StartNew();
        var minimum = warmupBatches == 0 ? TimeSpan.Zero : minimumWarmup ?? TimeSpan.FromSeconds(0.5);
        for (int t = 0; t < warmupBatches || warm.Elapsed < minimum; t++) Step(Batch(rng, batch, dimension), Rewards());
        var data = Enumerable.Range(0, batches).Select(_ => (Contexts: Batch(rng, batch, dimension), Rewards: Rewards())).ToArray();
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        double fastest = double.PositiveInfinity, last = 0;
        foreach (var (contexts, rewards) in data)
        {
            Step(contexts, rewards);
            double now = watch.Elapsed.TotalMicroseconds;
            fastest = Math.Min(fastest, now - last);
            last = now;
        }
        watch.Stop();
        process.Refresh();
        double pairs = (double)batch * batches;
        return new RoutingSpeed(dimension, arms, batch, batches, watch.Elapsed.TotalMicroseconds / pairs, fastest / batch,
            (process.TotalProcessorTime - cpu0).TotalMicroseconds / pairs);
    }

    private static double VectorDot(double[] a, double[] b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++) s += a[k] * b[k];
        return s;
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
