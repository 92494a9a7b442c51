using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace BayesianRouter.Service.Tests;

/// <summary>The Python client (clients/python, standard library only) against a live service on loopback, run with the
/// machine's python3.</summary>
public class PythonClientTests
{
    private static string RepoRoot { get; } = typeof(PythonClientTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    private static async Task<(int Code, string Output)> Python(TestServer t, params string[] args)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(RepoRoot, "clients", "python") };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["BAYESROUTER_URL"] = t.Server.Address.ToString();
        psi.Environment["BAYESROUTER_TOKEN"] = TestServer.Token;
        psi.Environment["BAYESROUTER_EXPECTED"] = JsonSerializer.Serialize(new { pool = t.Server.Session.Pool });
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task The_python_client_tests_pass_against_a_live_service()
    {
        await using var t = await TestServer.StartAsync();
        var (code, output) = await Python(t, "-m", "unittest", "-v", "tests/test_client.py");
        Assert.True(code == 0, output);
        Assert.Contains("Ran 6 tests", output);
        Assert.DoesNotContain("skipped", output);
    }

    [Fact]
    public async Task The_python_clients_retries_pass_their_tests()
    {
        await using var t = await TestServer.StartAsync(); // not used by these tests (a scripted server of their own), but Python() passes its URL
        var (code, output) = await Python(t, "-m", "unittest", "-v", "tests/test_retries.py");
        Assert.True(code == 0, output);
        Assert.Contains("Ran 6 tests", output);
        Assert.DoesNotContain("skipped", output);
    }

    [Fact]
    public async Task The_dpo_feedback_example_runs_and_the_router_learns_from_it()
    {
        await using var t = await TestServer.StartAsync();
        var (code, output) = await Python(t, "examples/dpo_feedback.py", "--steps", "3", "--batch", "8");
        Assert.True(code == 0, output);
        Assert.Contains("step 2: labelled 8/8, feedback accepted", output);
        var stats = t.Server.Session.Statistics();
        Assert.Equal(24, stats.Decisions);
        Assert.True(stats.Feedback >= 20, $"feedback {stats.Feedback}");
        Assert.Equal(3, t.Server.Session.FeedbackBatches);
    }
}
