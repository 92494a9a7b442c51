using System.Diagnostics.Metrics;
using BayesianRouter.RewardModels.Pipeline;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>Small recorded data with response texts, RM specs pointing at test servers, and a telemetry recorder.</summary>
public static class TestRms
{
    /// <summary>
    /// 40 pairs over 20 prompts with distinct response texts: RM "scalar" scored them (no ties), RM "judge" gave
    /// verdicts a or b (no ties).
    /// </summary>
    public static List<PreferencePair> Pairs { get; } = Build();

    private static List<PreferencePair> Build()
    {
        var rng = new Random(7);
        var pairs = new List<PreferencePair>();
        for (int i = 0; i < 40; i++)
        {
            var prompt = $"Problem {i / 2}: what is {i / 2} + {i / 2}? Show {{steps}}.";
            var a = $"Answer {i}a: it is {i} (line one)\nline two of {i}a";
            var b = $"Answer {i}b: it is {i + 1}";
            double sa = Math.Round(rng.NextDouble() * 4 - 2, 3), sb = Math.Round(rng.NextDouble() * 4 - 2, 3);
            if (sa == sb) sb += 0.5;
            pairs.Add(new PreferencePair
            {
                Id = $"p{i}",
                Group = $"g{i / 2}",
                Prompt = prompt,
                ResponseA = a,
                ResponseB = b,
                Preferred = i % 3 == 0 ? Preference.B : Preference.A,
                Judgments = new Dictionary<string, Judgment>
                {
                    ["scalar"] = Judgment.FromScores(sa, sb),
                    ["judge"] = Judgment.FromVerdict(rng.Next(2) == 0 ? Preference.A : Preference.B),
                },
            });
        }
        return pairs;
    }

    public static RecordedJudgments Record(string rm) => RecordedJudgments.From(Pairs, rm);

    public static List<PairText> Texts => Pairs.Select(PairText.Of).ToList();

    private static int _names;

    /// <summary>A unique RM name per test (telemetry is process-wide, tagged by RM).</summary>
    public static string UniqueName(string stem) => $"{stem}-{Interlocked.Increment(ref _names)}";

    public static RmSpec Spec(RmBackend backend, Uri url, string? name = null, double timeout = 5, int retries = 0, int maxConcurrency = 8,
        RmCircuitBreakerSpec? breaker = null, string? apiKeyEnv = null) => new()
    {
        Name = name ?? UniqueName(backend.ToName()),
        Backend = backend,
        Url = url,
        Model = backend == RmBackend.OpenAiJudge ? "judge-model" : backend == RmBackend.VllmClassify ? "rm-model" : null,
        TimeoutSeconds = timeout,
        Retries = retries,
        MaxConcurrency = maxConcurrency,
        CircuitBreaker = breaker ?? new RmCircuitBreakerSpec { MinCalls = 1000 }, // effectively off unless a test wants it
        ApiKeyEnv = apiKeyEnv,
    };

    public static readonly RmClientOptions FastRetries = new() { RetryBaseDelay = TimeSpan.FromMilliseconds(5), RetryMaxDelay = TimeSpan.FromMilliseconds(20) };

    /// <summary>A URL where nothing listens: a port that was free a moment ago.</summary>
    public static Uri ClosedPort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}

/// <summary>Collects the RM telemetry of one RM name (the meter is process-wide).</summary>
public sealed class TelemetryRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _seen = [];

    public TelemetryRecorder(string rm)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RmTelemetry.MeterName) l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dict = new Dictionary<string, object?>();
            foreach (var t in tags) dict[t.Key] = t.Value;
            if (!Equals(dict.GetValueOrDefault("rm"), rm)) return;
            lock (_seen) _seen.Add((instrument.Name, value, dict));
        }
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        _listener.Start();
    }

    /// <summary>The sum of an instrument's measurements, optionally only those with a tag value.</summary>
    public double Sum(string instrument, string? tag = null, string? value = null)
    {
        lock (_seen)
            return _seen.Where(s => s.Instrument == instrument && (tag is null || Equals(s.Tags.GetValueOrDefault(tag), value))).Sum(s => s.Value);
    }

    public int Count(string instrument)
    {
        lock (_seen) return _seen.Count(s => s.Instrument == instrument);
    }

    public void Dispose() => _listener.Dispose();
}
