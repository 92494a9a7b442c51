using BayesianRouter.Routing;
using BayesianRouter.State;
using BenchmarkDotNet.Attributes;

namespace BayesianRouter.Benchmarks;

/// <summary>
/// The logged choice probability of one decision: exact (<see cref="NormalArgmax"/>, the session's default) against the
/// Monte-Carlo estimate of earlier releases with 1,000 draws (<c>--mc-draws 1000</c>, the normals drawn once per batch and
/// shared, as the session does). Scores drawn as a trained router's are: a spread of means, a mix of confident and
/// uncertain arms. Run:
/// <c>dotnet run -c Release --project bench/BayesianRouter.Benchmarks -- --filter '*ChoiceProbabilityBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class ChoiceProbabilityBenchmarks
{
    [Params(4, 8)]
    public int Arms { get; set; }

    private const int Cases = 64, Draws = 1000;
    private double[][] _means = null!, _sds = null!;
    private int[] _arm = null!;
    private double[] _normals = null!;
    private ScoreMoments[] _moments = null!;
    private int _step;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new SeededRandom(4);
        _means = new double[Cases][];
        _sds = new double[Cases][];
        _arm = new int[Cases];
        _moments = new ScoreMoments[Cases];
        for (int c = 0; c < Cases; c++)
        {
            _means[c] = Enumerable.Range(0, Arms).Select(_ => 0.3 * rng.NextGaussian()).ToArray();
            _sds[c] = Enumerable.Range(0, Arms).Select(_ => 0.02 + 0.2 * rng.NextDouble()).ToArray();
            _arm[c] = (int)(rng.NextDouble() * Arms);
            _moments[c] = ScoreMoments.Of([_means[c]], [_sds[c]]);
        }
        _normals = ThompsonChoice.Normals(new SeededRandom(5), Draws, Arms);
    }

    [Benchmark(Baseline = true)]
    public double MonteCarlo1000()
    {
        int c = _step++ % Cases;
        return (ThompsonChoice.MonteCarloHits(_moments[c], 0, _arm[c], _normals) + 1.0) / (Draws + 1.0);
    }

    [Benchmark]
    public double Exact()
    {
        int c = _step++ % Cases;
        return NormalArgmax.Probability(_means[c], _sds[c], _arm[c]);
    }
}
