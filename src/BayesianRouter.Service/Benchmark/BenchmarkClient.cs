using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BayesianRouter.Data;

namespace BayesianRouter.Service;

/// <summary>One benchmark client of a <see cref="RoutingServer"/>: label requests and the feedback (DPO losses) for them, timed.</summary>
internal sealed class BenchmarkClient(HttpMessageHandler handler, Uri address, string token, int seed) : IDisposable
{
    private readonly HttpClient _http = new(handler, disposeHandler: false)
    {
        BaseAddress = address,
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        Timeout = TimeSpan.FromMinutes(10),
    };
    private readonly Random _losses = new(seed);

    /// <summary>POSTs the pairs to /v1/label; the decision ids in order, and the milliseconds it took.</summary>
    public async Task<(string[] DecisionIds, double Ms)> LabelAsync(IReadOnlyList<PreferencePair> pairs)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            pairs = pairs.Select(p => new { id = p.Id, prompt = p.Prompt, response_a = p.ResponseA, response_b = p.ResponseB }),
        });
        long t0 = Stopwatch.GetTimestamp();
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var response = await _http.PostAsync("/v1/label", content).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"/v1/label answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync().ConfigureAwait(false));
        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var ids = doc.RootElement.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("decision_id").GetString()!).ToArray();
        if (ids.Length != pairs.Count) throw new InvalidOperationException($"/v1/label answered {ids.Length} labels for {pairs.Count} pairs");
        return (ids, ms);
    }

    /// <summary>POSTs one feedback batch (a random DPO loss in [0, 2) per decision) to /v1/feedback; the milliseconds it took.</summary>
    public async Task<double> FeedbackAsync(IReadOnlyList<string> decisionIds)
    {
        var sb = new StringBuilder("{\"feedback\":[");
        for (int i = 0; i < decisionIds.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append("{\"decision_id\":\"").Append(decisionIds[i]).Append("\",\"loss\":")
                .Append((_losses.NextDouble() * 2).ToString("R", CultureInfo.InvariantCulture)).Append('}');
        }
        sb.Append("]}");
        long t0 = Stopwatch.GetTimestamp();
        using var response = await _http.PostAsync("/v1/feedback", new StringContent(sb.ToString(), Encoding.UTF8, "application/json")).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"/v1/feedback answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    /// <summary>GET /v1/router (its state digest is computed from a snapshot); throws unless 200.</summary>
    public async Task RouterStateAsync()
    {
        using var response = await _http.GetAsync("/v1/router").ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The <paramref name="q"/>-quantile (nearest rank) of <paramref name="values"/>; NaN when there are none.</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s[Math.Clamp((int)Math.Ceiling(q * s.Length) - 1, 0, s.Length - 1)];
    }
}
