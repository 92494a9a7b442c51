using BayesianRouter.RewardModels.Clients;

namespace BayesianRouter.RewardModels;

/// <summary>
/// Pool-file entries -> callable RMs (<see cref="RemoteRewardModel"/>): the one place that knows which client serves
/// which backend. Used by <c>serve</c>, <c>label</c> and the DPO loop.
/// </summary>
public static class RewardModelFactory
{
    /// <summary>Every RM of a pool, in pool order. An API key variable that is not set is a <see cref="PoolFileException"/>.</summary>
    public static RemoteRewardModelPool CreatePool(RmPool pool, RmClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var created = new List<RemoteRewardModel>();
        try
        {
            for (int i = 0; i < pool.Rms.Count; i++) created.Add(Create(pool.Rms[i], options, pool.File, $"rms[{i}]"));
        }
        catch
        {
            foreach (var rm in created) rm.Dispose();
            throw;
        }
        return new RemoteRewardModelPool(created);
    }

    /// <summary>One RM (the whole pipeline: protocol client, resilience, fail-safe, telemetry).</summary>
    public static RemoteRewardModel Create(RmSpec spec, RmClientOptions? options = null) => Create(spec, options, "pool", spec?.Name ?? "rm");

    private static RemoteRewardModel Create(RmSpec spec, RmClientOptions? options, string file, string at)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new RmClientOptions();
        string? key = null;
        if (spec.ApiKeyEnv is { } env)
        {
            key = options.GetEnvironmentVariable(env);
            if (string.IsNullOrEmpty(key))
                throw new PoolFileException(file, $"{at}.api_key_env", $"the environment variable {env} is not set (it should hold {spec.Name}'s API key)");
        }
        var channel = new RmHttpChannel(spec, options, key);
        return spec.Backend switch
        {
            RmBackend.VllmClassify => new RemoteRewardModel(channel, new ScoringRewardModel(new VllmClassifyScorer(channel)), pairsPerCall: 1),
            RmBackend.OpenRlhf => new RemoteRewardModel(channel, new ScoringRewardModel(new OpenRlhfScorer(channel)), spec.MaxBatch),
            RmBackend.OpenAiJudge => new RemoteRewardModel(channel, new OpenAiJudge(channel, options.JudgeSeed), pairsPerCall: 1),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Backend, "unknown backend"),
        };
    }
}

/// <summary>The RMs of a pool, in pool order, by name too; disposing it disposes them.</summary>
public sealed class RemoteRewardModelPool(IReadOnlyList<RemoteRewardModel> rms) : IReadOnlyList<RemoteRewardModel>, IDisposable
{
    public RemoteRewardModel this[int index] => rms[index];

    public RemoteRewardModel this[string name] => rms.FirstOrDefault(r => r.Name == name)
        ?? throw new KeyNotFoundException($"no RM named \"{name}\" in the pool ({string.Join(", ", rms.Select(r => r.Name))})");

    public int Count => rms.Count;

    public IEnumerator<RemoteRewardModel> GetEnumerator() => rms.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var rm in rms) rm.Dispose();
    }
}
