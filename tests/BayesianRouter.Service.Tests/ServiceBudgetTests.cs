using System.Globalization;
using System.Text.Json.Nodes;
using BayesianRouter.Live;
using BayesianRouter.RewardModels.Serving;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Service.Tests;

/// <summary>
/// The service under the pool's budget, against real RM servers on loopback: the spend (fallback calls after a failing
/// RM included) in GET /v1/router and /metrics, and the same figures after a restart.
/// </summary>
public class ServiceBudgetTests
{
    // armo, sky, judge, intern: the judge is the expensive one
    private static readonly double[] Costs = [1, 1.5, 20, 1.2];

    [Fact]
    public async Task The_spend_with_fallbacks_is_reported_and_survives_a_restart()
    {
        var pairs = RecordedRmFarm.MakePairs(96, seed: 9);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        farm.Servers[1].Fault = RmFault.ServerError;             // sky fails: its pairs fall back, and the fallback costs
        var specs = farm.Specs.Select(s => s with { Retries = 0 }).ToArray();
        using var clients = farm.Clients(specs);
        var state = Path.Combine(Path.GetTempPath(), "br-budget-" + Guid.NewGuid().ToString("N")[..8]);
        ServiceOptions Budgeted(ServiceOptions o) => o with { Session = o.Session with { Costs = Costs, Budget = 3 } };
        try
        {
            double spend = 0, fallbackSpend = 0;
            JsonObject before;
            await using (var t = await TestServer.StartAsync(clients.ToArray(), state, Budgeted))
            {
                for (int start = 0; start < pairs.Count; start += 32)
                {
                    var batch = pairs.Skip(start).Take(32).Select(p => new { id = p.Id, prompt = p.Prompt, response_a = p.ResponseA, response_b = p.ResponseB, domain = p.Domain });
                    var labels = (await t.PostAsync("/v1/label", new { pairs = batch.ToArray() }))["labels"]!.AsArray();
                    foreach (var l in labels)
                    {
                        // every RM tried costs its price: the failed ones (fallback_from, the routed RM first) and the one that labelled
                        var tried = (l!["fallback_from"] as JsonArray)?.Select(x => (string)x!).ToList() ?? [];
                        if (l["rm"] is { } rm) tried.Add((string)rm!);
                        var cost = tried.Select(r => Costs[Array.FindIndex(RecordedRmFarm.Rms, x => x.Name == r)]).ToArray();
                        spend += cost.Sum();
                        fallbackSpend += cost.Skip(1).Sum();
                    }
                }
                before = (await t.GetAsync("/v1/router"))["budget"]!.AsObject();
                Assert.Equal(3, (double)before["budget_per_pair"]!);
                Assert.Equal(96, (long)before["pairs"]!);
                Assert.Equal(spend, (double)before["spend"]!, 9);
                Assert.Equal(fallbackSpend, (double)before["fallback_spend"]!, 9);
                Assert.True(fallbackSpend > 0, "some pairs were routed to the failing RM first");
                Assert.Equal(spend / 96, (double)before["mean_cost_per_pair"]!, 9);
                // the routed calls stay within the budget; fallbacks are debt the next pairs repay
                Assert.True(spend - fallbackSpend <= 3 * 96 + 1e-9, $"routed spend {spend - fallbackSpend}");
                var metrics = await t.Client.GetStringAsync("/metrics");
                Assert.Contains("bayesrouter_budget_per_pair 3", metrics);
                Assert.Equal(spend, Gauge(metrics, "bayesrouter_spend_total"), 9);
                Assert.Equal(fallbackSpend, Gauge(metrics, "bayesrouter_spend_fallback_total"), 9);
                Assert.Equal(spend / 96, Gauge(metrics, "bayesrouter_spend_per_pair"), 9);
                Assert.Matches(@"bayesrouter_budget_price [0-9]", metrics);
            }
            await using (var again = await TestServer.StartAsync(clients.ToArray(), state, Budgeted))
            {
                var after = (await again.GetAsync("/v1/router"))["budget"]!.AsObject();
                Assert.Equal(before.ToJsonString(), after.ToJsonString());
            }
        }
        finally
        {
            try { Directory.Delete(state, true); } catch (IOException) { }
        }
    }

    private static double Gauge(string metrics, string name)
    {
        var m = System.Text.RegularExpressions.Regex.Match(metrics, $"^{name} (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(m.Success, $"{name} is not in /metrics");
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Without_a_budget_the_spend_is_still_reported()
    {
        await using var t = await TestServer.StartAsync();
        await t.PostAsync("/v1/label", TestServer.Pairs(TestServer.MakePairs(10)));
        var budget = (await t.GetAsync("/v1/router"))["budget"]!.AsObject();
        Assert.Null(budget["budget_per_pair"]);
        Assert.Equal(10, (double)budget["spend"]!);                 // cost 1 per RM by default
        Assert.Equal(0, (double)budget["price"]!);
        Assert.Contains("bayesrouter_budget_per_pair NaN", await t.Client.GetStringAsync("/metrics"));
    }
}
