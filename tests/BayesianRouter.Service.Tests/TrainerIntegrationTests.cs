using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Service.Tests;

/// <summary>
/// The Python package's trainer plugins (clients/python/bayesrouter/integrations: OpenRLHF, verl, TRL, slime), each
/// called the way its trainer's code calls it (clients/python/tests/test_integrations.py cites the versions read),
/// against a live service routing among recorded RMs served over HTTP on loopback; and the package installed with pip.
/// </summary>
public class TrainerIntegrationTests
{
    private static string RepoRoot { get; } = typeof(TrainerIntegrationTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    private static async Task<(int Code, string Output)> Run(string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(300));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Every_plugin_called_as_its_trainer_calls_it_gets_one_RM_per_group_and_the_recorded_scores()
    {
        var (farm, clients, t, groups) = await RewardEndpointTests.Start(80, 4);
        await using var _ = farm;
        using var __ = clients;
        await using var ___ = t;
        var dir = Directory.CreateTempSubdirectory("br-plugins-").FullName;
        try
        {
            var tokenFile = Path.Combine(dir, "token.txt");
            File.WriteAllText(tokenFile, TestServer.Token + "\n");
            var groupsFile = Path.Combine(dir, "groups.json");
            File.WriteAllText(groupsFile, JsonSerializer.Serialize(new
            {
                pool = t.Server.Session.Pool,
                groups = groups.Select(g => new { prompt = g.Prompt, responses = g.Responses, scores = g.Scores, judge_quality = g.JudgeQuality }),
            }));
            var (code, output) = await Run("python3", ["-m", "unittest", "-v", "tests/test_integrations.py"], Path.Combine(RepoRoot, "clients", "python"),
                new Dictionary<string, string>
                {
                    ["BAYESROUTER_URL"] = t.Server.Address.ToString(),
                    ["BAYESROUTER_TOKEN_FILE"] = tokenFile,
                    ["BAYESROUTER_GROUPS"] = groupsFile,
                });
            Assert.True(code == 0, output);
            Assert.Contains("Ran 11 tests", output);
            Assert.DoesNotContain("skipped", output);
            // 9 tests x 8 groups route a group each (the online DPO test routes its 8 prompts too); no group was split
            var stats = t.Server.Session.Statistics();
            Assert.Equal(72, stats.Decisions);
            Assert.Equal(8, stats.Feedback); // online DPO's losses
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task The_package_installs_with_pip_offline_and_its_plugins_import_from_the_installation()
    {
        var dir = Directory.CreateTempSubdirectory("br-pip-").FullName;
        try
        {
            // a copy, so nothing the build writes lands in the repository; --no-index: nothing may be downloaded
            // (the package's own build backend, _build/backend.py, needs nothing beyond Python)
            var source = Path.Combine(dir, "src");
            CopyTree(Path.Combine(RepoRoot, "clients", "python"), source);
            var target = Path.Combine(dir, "site");
            var (code, output) = await Run("python3", ["-m", "pip", "install", "--no-index", "--target", target, source], dir,
                new Dictionary<string, string> { ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1" });
            Assert.True(code == 0, output);
            (code, output) = await Run("python3", ["-c",
                "import bayesrouter, bayesrouter.integrations.openrlhf as o, bayesrouter.integrations.verl as v, bayesrouter.integrations.trl as t, bayesrouter.integrations.slime as s; " +
                "print(bayesrouter.__file__); print(callable(o.reward_func), callable(v.compute_score), callable(t.RouterReward), callable(s.reward))"], dir,
                new Dictionary<string, string> { ["PYTHONPATH"] = target });
            Assert.True(code == 0, output);
            Assert.Contains(Path.Combine(target, "bayesrouter"), output);
            Assert.Contains("True True True True", output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from))
            if (Path.GetFileName(d) is not ("__pycache__" or "build") && !d.EndsWith(".egg-info", StringComparison.Ordinal)) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
