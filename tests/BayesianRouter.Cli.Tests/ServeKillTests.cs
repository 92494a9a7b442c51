using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using BayesianRouter.Data;
using BayesianRouter.Service;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// The issue's fault drill: <c>bayesrouter serve</c> killed with SIGKILL and restarted mid-run, twice, under 8 concurrent
/// Python clients running a training loop (clients/python/tests/kill_driver.py). Every call of every client returns
/// (nothing reaches the loop: no socket error, no exhausted retry), every acknowledged decision and feedback item is in
/// the log, no pair is decided twice, and the restarts replay the feedback logged since the last checkpoint.
/// </summary>
public class ServeKillTests(Xunit.Abstractions.ITestOutputHelper output) : DataTempFolderTest
{
    private const string Token = "kill-drill-token-4b7e";
    private const int Clients = 8, Steps = 4, Batch = 6;

    private static string RepoRoot { get; } = typeof(ServeKillTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task Killed_twice_under_eight_clients_nothing_acknowledged_is_lost_no_pair_is_decided_twice_and_every_call_returns()
    {
        var pairs = RecordedRmFarm.MakePairs(Clients * Steps * Batch, seed: 7);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        farm.WritePoolFile(pool);
        File.WriteAllText(Path.Combine(dir, "token"), Token + "\n");
        var pairFile = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(pairFile, pairs);
        var state = Path.Combine(dir, "state");
        int port = FreePort();
        string[] serve = ["serve", "--pool", pool, "--state", state, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--token-file", Path.Combine(dir, "token"), "--encoder-cache", Path.Combine(dir, "cache"), "--max-tokens", "64",
            "--checkpoint-every", "1000", "--seed", "3"];

        var server = CliProcess.Start(serve);
        var url = await server.ListeningAsync(TimeSpan.FromMinutes(3));
        var result = Path.Combine(dir, "result.json");
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(RepoRoot, "clients", "python") };
        foreach (var a in new[] { "tests/kill_driver.py", "--url", url.ToString(), "--token", Token, "--pairs", pairFile, "--clients", $"{Clients}",
                     "--steps", $"{Steps}", "--batch", $"{Batch}", "--out", result })
            psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var driver = new Process { StartInfo = psi };
        int stepsDone = 0;
        var driverOutput = new System.Text.StringBuilder();
        driver.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (driverOutput) driverOutput.AppendLine(e.Data);
            if (e.Data == "step done") Interlocked.Increment(ref stepsDone);
        };
        driver.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null) lock (driverOutput) driverOutput.AppendLine(e.Data);
        };
        driver.Start();
        driver.BeginOutputReadLine();
        driver.BeginErrorReadLine();
        var replayed = new List<long>();
        try
        {
            // Kill while the clients are mid-run (a quarter, then three quarters of the steps done), restart at once.
            foreach (int killAt in new[] { Clients * Steps / 4, Clients * Steps * 3 / 4 })
            {
                var clock = Stopwatch.StartNew();
                while (Volatile.Read(ref stepsDone) < killAt && !driver.HasExited && clock.Elapsed < TimeSpan.FromMinutes(4)) await Task.Delay(20);
                Assert.False(driver.HasExited, $"the driver ended before the kill:\n{driverOutput}");
                await server.KillAsync();
                await server.DisposeAsync();
                server = CliProcess.Start(serve);
                await server.ListeningAsync(TimeSpan.FromMinutes(3));
                var line = await server.WaitForOutputAsync(@"\((\d+) batches, (\d+) replayed from the log since the checkpoint\)");
                replayed.Add(long.Parse(line.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
            await driver.WaitForExitAsync(cts.Token);
            Assert.True(driver.ExitCode == 0, $"a client's loop saw an exception:\n{driverOutput}");
            output.WriteLine($"{driverOutput.ToString().Split('\n').Last(l => l.StartsWith("done:", StringComparison.Ordinal))}; replayed batches at the restarts: {string.Join(", ", replayed)}");
            Assert.Equal(0, await server.TerminateAsync());
        }
        finally
        {
            if (!driver.HasExited) driver.Kill();
            await server.DisposeAsync();
        }
        // Both restarts rebuilt the posteriors from the log (no checkpoint was due): replay was exercised.
        Assert.All(replayed, r => Assert.True(r >= 1, $"replayed {string.Join(", ", replayed)}"));

        using var doc = JsonDocument.Parse(File.ReadAllText(result));
        var root = doc.RootElement;
        Assert.Equal(0, root.GetProperty("errors").GetArrayLength());
        Assert.True(root.GetProperty("retried").GetInt32() >= 2, $"the clients felt no outage:\n{driverOutput}"); // each kill reached them
        var acknowledged = root.GetProperty("labels").EnumerateArray()
            .Select(l => (Pair: l.GetProperty("id").GetString()!, Decision: l.GetProperty("decision_id").GetString()!, Rm: l.GetProperty("rm").GetString())).ToArray();
        var fedBack = root.GetProperty("feedback").EnumerateArray().Select(x => x.GetString()!).ToArray();
        Assert.Equal(pairs.Count, acknowledged.Length); // every call returned: every pair was labelled once in the clients' eyes
        Assert.Equal(pairs.Select(p => p.Id).Order(), acknowledged.Select(a => a.Pair).Order());

        using var store = SqliteDecisionStore.OpenExisting(state);
        var log = store.ReadDecisions().ToArray();
        // No pair decided twice: one decision per pair id, and exactly the pairs sent.
        Assert.Equal(log.Length, log.Select(e => e.Decision.PairId).Distinct().Count());
        Assert.Equal(pairs.Count, log.Length);
        // Every acknowledged decision is in the log as the client saw it, and every acknowledged feedback item too.
        var byDecision = log.ToDictionary(e => e.Decision.DecisionId);
        Assert.All(acknowledged, a =>
        {
            Assert.True(byDecision.TryGetValue(a.Decision, out var e), $"acknowledged decision {a.Decision} ({a.Pair}) is not in the log");
            Assert.Equal((a.Pair, a.Rm), (e!.Decision.PairId, e.Label.Rm));
        });
        Assert.All(fedBack, id => Assert.NotNull(byDecision[id].Feedback));
        Assert.Equal(fedBack.Length, log.Count(e => e.Feedback != null));
    }
}
