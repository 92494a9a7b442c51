using System.Diagnostics;
using System.Text.RegularExpressions;
using BayesianRouter.Data;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>bayesrouter rm-serve</c>: the built command as a real process on a free loopback port.</summary>
public class RmServeCommandTests : DataTempFolderTest
{
    private string WritePairs()
    {
        var file = Path.Combine(NewFolder(), "pairs.jsonl");
        PairFile.Write(file, Enumerable.Range(0, 3).Select(i => new PreferencePair
        {
            Id = $"p{i}",
            Group = $"g{i}",
            Prompt = $"What is {i}+{i}?",
            ResponseA = $"{2 * i}",
            ResponseB = $"{2 * i + 1}",
            Preferred = Preference.A,
            Judgments = new Dictionary<string, Judgment> { ["rm1"] = Judgment.FromScores(1.25 + i, 0.5) },
        }));
        return file;
    }

    [Fact]
    public async Task ItPrintsOneReadyLineAnswersRecordedScoresAndStopsOnSigterm()
    {
        var pairs = WritePairs();
        var dll = Path.Combine(AppContext.BaseDirectory, "bayesrouter.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "rm-serve", "--pairs", pairs, "--rm", "rm1", "--port", "0" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            var readLine = process.StandardOutput.ReadLineAsync();
            Assert.True(await Task.WhenAny(readLine, Task.Delay(TimeSpan.FromSeconds(60))) == readLine, "no ready line within 60 s");
            var line = await readLine;
            var m = Regex.Match(line ?? "", @"^listening on (http://127\.0\.0\.1:(\d+))$");
            Assert.True(m.Success, $"ready line: \"{line}\""); // (reading stderr here would wait for the process to end)

            using var http = new HttpClient { BaseAddress = new Uri(m.Groups[1].Value) };
            var ok = await http.PostAsync("/classify", Json("""{"messages": [{"role": "user", "content": "What is 1+1?"}, {"role": "assistant", "content": "2"}]}"""));
            Assert.Equal(200, (int)ok.StatusCode);
            Assert.Contains("\"probs\":[2.25]", await ok.Content.ReadAsStringAsync());
            var unknown = await http.PostAsync("/get_reward", Json("""{"query": ["What is 1+1?2", "What is 1+1?7"]}"""));
            Assert.Equal(404, (int)unknown.StatusCode);
            Assert.Contains("query[1] \\\"What is 1+1?7\\\" is no recorded (prompt, response) of RM \\\"rm1\\\"", await unknown.Content.ReadAsStringAsync());

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(cts.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("", (await process.StandardOutput.ReadToEndAsync()).Trim()); // the ready line was the only one
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task AnRmWithoutJudgmentsABadFaultAndAMissingFileAreErrors()
    {
        var pairs = WritePairs();
        var noRm = await CliRunner.RunAsync("rm-serve", "--pairs", pairs, "--rm", "other", "--port", "0");
        Assert.Equal(1, noRm.ExitCode);
        Assert.Equal($"error: {pairs} has no judgment of RM \"other\" (its RMs: rm1)", noRm.Err.Trim());

        var badFault = await CliRunner.RunAsync("rm-serve", "--pairs", pairs, "--rm", "rm1", "--fault", "slow");
        Assert.Equal(1, badFault.ExitCode);
        Assert.Contains("--fault \"slow\" is not one of none, timeout, 500, malformed, nan", badFault.Err);

        var missing = await CliRunner.RunAsync("rm-serve", "--pairs", "no-such.jsonl", "--rm", "rm1");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-such.jsonl: no such pair file", missing.Err);

        var badTemplate = await CliRunner.RunAsync("rm-serve", "--pairs", pairs, "--rm", "rm1", "--query-template", "{prompt}");
        Assert.Equal(1, badTemplate.ExitCode);
        Assert.Contains("--query-template lacks {response}", badTemplate.Err);
    }
}
