using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// One <see cref="ArmPosterior"/> per arm, with the batch operations the linear bandits share (Thompson sampling,
/// LinUCB, LASER): score moments for a batch of contexts, and a batch update that gives each arm the observations
/// routed to it, once per batch (Eq. 5-6). Arms are independent, so large batches spread them over the cores; the
/// result does not depend on the number of threads.
/// </summary>
internal sealed class ArmPosteriorSet
{
    private readonly ArmPosterior[] _arms;
    private readonly ParallelOptions _parallel;

    public ArmPosteriorSet(int arms, int dimension, double priorVariance, double noiseVariance, IReadOnlyList<double[]>? priorMeans,
        int maxDegreeOfParallelism = -1)
    {
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "use -1 (all cores) or a positive count");
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        if (arms <= 0) throw new ArgumentOutOfRangeException(nameof(arms), arms, "at least one arm is needed");
        if (priorMeans != null && priorMeans.Count != arms)
            throw new ArgumentException($"prior mean has {priorMeans.Count} rows, expected one per arm ({arms})");
        _arms = new ArmPosterior[arms];
        for (int n = 0; n < arms; n++)
        {
            var mean = priorMeans?[n];
            if (priorMeans != null && mean is null) throw new ArgumentException($"prior mean row {n} is null");
            if (mean != null && mean.Length != dimension)
                throw new ArgumentException($"prior mean row {n} has dimension {mean.Length}, expected {dimension}");
            _arms[n] = new ArmPosterior(dimension, priorVariance, noiseVariance, mean);
        }
        Dimension = dimension;
    }

    public int Count => _arms.Length;
    public int Dimension { get; }
    public ArmPosterior this[int arm] => _arms[arm];

    /// <summary>Work (pairs x d^2) from which the arms are processed in parallel (d >= 128 for a batch of 64).</summary>
    private const long ParallelWork = 1L << 20;

    private void ForEachArm(long work, Action<int> arm)
    {
        if (work >= ParallelWork && _arms.Length > 1 && _parallel.MaxDegreeOfParallelism != 1) Parallel.For(0, _arms.Length, _parallel, arm);
        else for (int n = 0; n < _arms.Length; n++) arm(n);
    }

    /// <summary>Means h^T mu_n and standard deviations sqrt(h^T Sigma_n h) for every context and arm.</summary>
    public ScoreMoments Moments(IReadOnlyList<double[]> contexts)
    {
        int count = contexts.Count, arms = _arms.Length;
        var m = new ScoreMoments(count, arms);
        void Arm(int n)
        {
            var post = _arms[n];
            Span<double> variances = stackalloc double[ArmPosterior.Block];
            for (int p0 = 0; p0 < count; p0 += ArmPosterior.Block)
            {
                int size = Math.Min(ArmPosterior.Block, count - p0);
                post.ScoreVariances(contexts, p0, size, variances);
                for (int p = p0; p < p0 + size; p++)
                {
                    m.Means[p * arms + n] = post.MeanScore(contexts[p]);
                    m.StdDevs[p * arms + n] = Math.Sqrt(variances[p - p0]);
                }
            }
        }
        ForEachArm((long)count * Dimension * Dimension, Arm);
        return m;
    }

    /// <summary>
    /// Applies forgetting (if gamma &lt; 1, to every arm, before the batch), then each arm's routed observations in
    /// batch order, then refreshes the means of the arms that changed.
    /// </summary>
    public void Update(IReadOnlyList<ArmFeedback> feedback, double forgetting)
    {
        var byArm = new List<int>[_arms.Length];
        for (int i = 0; i < feedback.Count; i++) (byArm[feedback[i].Arm] ??= []).Add(i);
        void Arm(int n)
        {
            var post = _arms[n];
            if (forgetting < 1) post.Forget(forgetting);
            if (byArm[n] is not { } items) return;
            post.Observe(items.Select(i => feedback[i].Context).ToArray(), items.Select(i => feedback[i].Reward).ToArray());
            post.RefreshMean();
        }
        ForEachArm((long)(forgetting < 1 ? Dimension * _arms.Length : feedback.Count) * Dimension * Dimension, Arm);
    }

    internal void WriteState(BinaryWriter w)
    {
        w.Write(_arms.Length);
        foreach (var a in _arms) a.WriteState(w);
    }

    internal Action ReadState(BinaryReader r)
    {
        r.ReadExpected(_arms.Length, "number of arms");
        var installs = new Action[_arms.Length];
        for (int n = 0; n < _arms.Length; n++) installs[n] = _arms[n].ReadState(r, $"arm {n} posterior");
        return () => { foreach (var i in installs) i(); };
    }
}
