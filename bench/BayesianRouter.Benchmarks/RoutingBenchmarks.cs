using BayesianRouter.Routing;
using BayesianRouter.State;
using BenchmarkDotNet.Attributes;

namespace BayesianRouter.Benchmarks;

/// <summary>
/// Thompson-sampling router: select + update of one batch (BenchmarkDotNet beside <c>bayesrouter bench routing</c>).
/// Divide the reported time by <see cref="Batch"/> for microseconds per pair. Run:
/// <c>dotnet run -c Release --project bench/BayesianRouter.Benchmarks -- --filter '*RoutingBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    [Params(64, 384)]
    public int Dimension { get; set; }

    [Params(8)]
    public int Arms { get; set; }

    [Params(64)]
    public int Batch { get; set; }

    private ThompsonSamplingRouter _router = null!;
    private double[][][] _contexts = null!;
    private double[][] _rewards = null!;
    private int _step;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new SeededRandom(1);
        _router = new ThompsonSamplingRouter(Arms, Dimension, new ThompsonSamplingOptions { Seed = 2 });
        _contexts = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, Batch).Select(_ =>
        {
            var h = Enumerable.Range(0, Dimension).Select(_ => rng.NextGaussian()).ToArray();
            double norm = Math.Sqrt(h.Sum(x => x * x));
            return h.Select(x => x / norm).ToArray();
        }).ToArray()).ToArray();
        _rewards = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, Batch).Select(_ => rng.NextDouble()).ToArray()).ToArray();
    }

    /// <summary>Routes one batch and learns from all of its pairs.</summary>
    [Benchmark]
    public void SelectAndUpdate()
    {
        int t = _step++ % _contexts.Length;
        var contexts = _contexts[t];
        var decisions = _router.Select(contexts);
        var feedback = new ArmFeedback[contexts.Length];
        for (int i = 0; i < feedback.Length; i++) feedback[i] = new ArmFeedback(contexts[i], decisions[i].Arm, _rewards[t][i]);
        _router.Update(feedback);
    }

    /// <summary>Only the decision half: score moments and Thompson draws for one batch.</summary>
    [Benchmark]
    public int Select() => _router.Select(_contexts[_step++ % _contexts.Length]).Count;
}
