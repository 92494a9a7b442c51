using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Routing;

namespace BayesianRouter.Service.Tests;

/// <summary>
/// An artifact whose incumbent is the per-domain table (issue 17: do no harm, second pass) is what the service routes
/// by: loaded from router.bin, the anchored online stage starts at the table's pick for each pair's domain, and a
/// domain the artifact never saw goes to the best single RM.
/// </summary>
public class DomainTableServiceTests
{
    /// <summary>
    /// Labelled pairs where rm0 is the best RM overall (12/20) but rm2 is best on algebra (9/10 vs rm0's 5/10) and rm1 on
    /// geometry (9/10 vs rm0's 7/10).
    /// </summary>
    private static List<PreferencePair> Counted()
    {
        PreferencePair Pair(string id, string domain, bool rm0, bool rm1, bool rm2) => new()
        {
            Id = id, Group = id, Prompt = "p " + id, ResponseA = "a", ResponseB = "b", Preferred = Preference.A, Domain = domain,
            Judgments = new Dictionary<string, Judgment>
            {
                ["rm0"] = rm0 ? Judgment.FromScores(1, 0) : Judgment.FromScores(0, 1),
                ["rm1"] = rm1 ? Judgment.FromScores(1, 0) : Judgment.FromScores(0, 1),
                ["rm2"] = rm2 ? Judgment.FromScores(1, 0) : Judgment.FromScores(0, 1),
            },
        };
        var list = new List<PreferencePair>();
        for (int i = 0; i < 10; i++) list.Add(Pair($"a{i}", "algebra", i < 5, i < 2, i < 9));
        for (int i = 0; i < 10; i++) list.Add(Pair($"g{i}", "geometry", i < 7, i < 9, i < 1));
        return list;
    }

    [Fact]
    public async Task The_service_routes_each_pair_to_the_tables_pick_for_its_domain()
    {
        var rng = new Random(5);
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        const int fused = 4, input = 2 * 8 + 2;
        var neural = new OfflineRouter(["rm0", "rm1", "rm2"], "test-hash-8", 8, 128, ["algebra", "geometry"], FusionActivation.Tanh, fused,
            Values(fused * input), Values(fused), Values(3 * (fused + 1)), Values(3 * (fused + 1)));
        var counts = ArmAccuracies.Of(Counted(), neural.Pool);
        Assert.Equal(0, counts.Best);
        var file = Path.Combine(Path.GetTempPath(), "br-table-" + Guid.NewGuid().ToString("N")[..8] + ".bin");
        neural.WithDomainTable(DomainTable.Of(counts, neural.Domains)).Save(file);
        try
        {
            var artifact = OfflineRouter.Load(file);
            Assert.Equal(new Dictionary<string, string> { ["algebra"] = "rm2", ["geometry"] = "rm1" }, artifact.DomainTablePicks);
            await using var server = await TestServer.StartAsync(configure: o => o with { Setup = RouterSetup.FromOfflineRouter(artifact, seed: 2) });
            Assert.IsType<AnchoredThompsonRouter>(server.Server.Session.Router);
            var domains = new[] { "algebra", "geometry", "optics" };
            var body = new
            {
                pairs = Enumerable.Range(0, 30).Select(i => new
                {
                    id = $"p{i}", prompt = $"question {i}", response_a = $"first answer {i}", response_b = $"second answer {i}", domain = domains[i % 3],
                }).ToArray(),
            };
            var labels = (await server.PostAsync("/v1/label", body))["labels"]!.AsArray();
            var expected = new Dictionary<string, string> { ["algebra"] = "rm2", ["geometry"] = "rm1", ["optics"] = "rm0" };
            Assert.Equal(Enumerable.Range(0, 30).Select(i => expected[domains[i % 3]]), labels.Select(l => (string)l!["rm"]!));
            // the neural router it was made from routes otherwise on these pairs (so the test can fail)
            var neuralChoices = Enumerable.Range(0, 30).Select(i =>
            {
                var e = new HashEmbedder().Embed([new PreferencePair { Id = $"p{i}", Group = "g", Prompt = $"question {i}", ResponseA = $"first answer {i}", ResponseB = $"second answer {i}" }])[0];
                return neural.Pool[neural.Choose(neural.Features(e, domains[i % 3]))];
            });
            Assert.NotEqual(labels.Select(l => (string)l!["rm"]!), neuralChoices);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
