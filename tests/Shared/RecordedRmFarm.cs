using BayesianRouter.Data;
using BayesianRouter.RewardModels;
using BayesianRouter.RewardModels.Clients;
using BayesianRouter.RewardModels.Serving;

namespace BayesianRouter.TestSupport;

/// <summary>
/// (Shared by the service and CLI tests: linked into both projects.)
/// A pair file with response texts and four RMs' recorded behaviour, each RM served over HTTP on loopback by the
/// recorded-RM server (what <c>bayesrouter rm-serve</c> runs), over three protocols: "armo" and "intern" as vLLM
/// classifiers, "sky" as an OpenRLHF reward server, "judge" as an OpenAI-compatible pairwise judge.
/// </summary>
internal sealed class RecordedRmFarm : IAsyncDisposable
{
    public static readonly (string Name, RmBackend Backend)[] Rms =
        [("armo", RmBackend.VllmClassify), ("sky", RmBackend.OpenRlhf), ("judge", RmBackend.OpenAiJudge), ("intern", RmBackend.VllmClassify)];

    public required List<PreferencePair> Pairs { get; init; }
    public required IReadOnlyList<RecordedRmServer> Servers { get; init; }
    public required IReadOnlyList<RmSpec> Specs { get; init; }

    /// <summary>
    /// <paramref name="count"/> pairs over count / 4 prompts in two domains; each RM is right with a probability that
    /// depends on the domain, so routing has something to learn.
    /// </summary>
    public static List<PreferencePair> MakePairs(int count, int seed = 11)
    {
        var rng = new Random(seed);
        var accuracy = new Dictionary<string, double[]> { ["armo"] = [0.9, 0.5], ["sky"] = [0.6, 0.8], ["judge"] = [0.7, 0.7], ["intern"] = [0.4, 0.6] };
        var pairs = new List<PreferencePair>();
        for (int i = 0; i < count; i++)
        {
            int domain = (i / 4) % 2;
            var truth = rng.Next(2) == 0 ? Preference.A : Preference.B;
            var judgments = new Dictionary<string, Judgment>(StringComparer.Ordinal);
            foreach (var (rm, _) in Rms)
            {
                bool right = rng.NextDouble() < accuracy[rm][domain];
                var winner = right ? truth : truth == Preference.A ? Preference.B : Preference.A;
                if (rm == "judge") judgments[rm] = Judgment.FromVerdict(winner);
                else
                {
                    double hi = Math.Round(1 + rng.NextDouble() * 3, 4), lo = Math.Round(hi - 0.1 - rng.NextDouble(), 4);
                    judgments[rm] = winner == Preference.A ? Judgment.FromScores(hi, lo) : Judgment.FromScores(lo, hi);
                }
            }
            pairs.Add(new PreferencePair
            {
                Id = $"pair-{i}",
                Group = $"prompt-{i / 4}",
                Prompt = $"[{(domain == 0 ? "algebra" : "geometry")}] problem {i / 4}: find x when {i / 4}x = {i}.",
                ResponseA = $"Solution {i}A: x = {i % 7}. Steps: divide both sides.",
                ResponseB = $"Solution {i}B: x = {i % 5 + 1}. Steps: guess and check.",
                Preferred = truth,
                Domain = domain == 0 ? "algebra" : "geometry",
                Judgments = judgments,
            });
        }
        return pairs;
    }

    public static async Task<RecordedRmFarm> StartAsync(List<PreferencePair> pairs, double timeoutSeconds = 5, double latencyMs = 0)
    {
        var servers = new List<RecordedRmServer>();
        var specs = new List<RmSpec>();
        foreach (var (name, backend) in Rms)
        {
            var server = await RecordedRmServer.StartAsync(RecordedJudgments.From(pairs, name), new RecordedRmServerOptions { LatencyMs = latencyMs });
            servers.Add(server);
            specs.Add(Spec(name, backend, server.Url, timeoutSeconds));
        }
        return new RecordedRmFarm { Pairs = pairs, Servers = servers, Specs = specs };
    }

    public static RmSpec Spec(string name, RmBackend backend, Uri url, double timeoutSeconds) => new()
    {
        Name = name,
        Backend = backend,
        Url = url,
        Model = backend == RmBackend.OpenRlhf ? null : "model",
        TimeoutSeconds = timeoutSeconds,
        Retries = 0,
        MaxConcurrency = 8,
        CircuitBreaker = new RmCircuitBreakerSpec { MinCalls = 100000 },
    };

    /// <summary>The RM clients (protocol, resilience, telemetry), as <c>serve</c> builds them from a pool file.</summary>
    public RemoteRewardModelPool Clients(IReadOnlyList<RmSpec>? specs = null) =>
        RewardModelFactory.CreatePool(new RmPool("pool.json", specs ?? Specs), new RmClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5), RetryMaxDelay = TimeSpan.FromMilliseconds(20) });

    /// <summary>Writes a pool file naming the servers (what a user writes for <c>serve</c> and <c>label</c>).</summary>
    /// <summary>Writes a pool file of <paramref name="specs"/> (default: the farm's), with each RM's cost and an optional budget.</summary>
    public void WritePoolFile(string path, IReadOnlyList<RmSpec>? specs = null, double? budget = null)
    {
        var rms = (specs ?? Specs).Select(s => new Dictionary<string, object?>
        {
            ["name"] = s.Name,
            ["backend"] = s.Backend.ToName(),
            ["url"] = s.Url.ToString(),
            ["model"] = s.Model,
            ["timeout_s"] = s.TimeoutSeconds,
            ["max_concurrency"] = s.MaxConcurrency,
            ["retries"] = s.Retries,
            ["cost"] = s.Cost,
        }.Where(kv => kv.Value != null).ToDictionary()).ToArray();
        File.WriteAllText(path, budget is { } b
            ? System.Text.Json.JsonSerializer.Serialize(new { rms, budget = b })
            : System.Text.Json.JsonSerializer.Serialize(new { rms }));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Servers) await s.DisposeAsync();
    }
}
