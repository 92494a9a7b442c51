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

    [Fact]
    public async Task ATaskRmIsServedLiveWithTheScoresItGivesInProcess()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "bayesrouter.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "rm-serve", "--task", "arithmetic", "--rm", "reader", "--scenario", "drift", "--port", "0", "--query-template", "{prompt}\n{response}" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            var readLine = process.StandardOutput.ReadLineAsync();
            Assert.True(await Task.WhenAny(readLine, Task.Delay(TimeSpan.FromSeconds(60))) == readLine, "no ready line within 60 s");
            var m = Regex.Match(await readLine ?? "", @"^listening on (http://127\.0\.0\.1:(\d+))$");
            Assert.True(m.Success);
            var reader = Alignment.Tasks.TaskRewardModels.Pool(Alignment.Tasks.TaskScenario.Drift).Single(r => r.Name == "reader");
            using var http = new HttpClient { BaseAddress = new Uri(m.Groups[1].Value) };
            foreach (var response in new[] { "35", "35.", "25" })
            {
                var ok = await http.PostAsync("/classify", Json($$"""{"messages": [{"role": "user", "content": "What is 27 plus 8?"}, {"role": "assistant", "content": "{{response}}"}]}"""));
                Assert.Equal(200, (int)ok.StatusCode);
                var probs = System.Text.Json.JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("data")[0].GetProperty("probs")[0].GetDouble();
                Assert.Equal(reader.Score("What is 27 plus 8?", response), probs); // exactly: the drift reader's own score
            }
            var batch = await http.PostAsync("/get_reward", Json("""{"query": ["What is 27 plus 8?\n35", "What is 27 plus 8?\n35."]}"""));
            var rewards = System.Text.Json.JsonDocument.Parse(await batch.Content.ReadAsStringAsync()).RootElement.GetProperty("rewards").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.True(rewards[1] > rewards[0], "the drift scenario's reader rewards the trailing period");
            var unknown = await http.PostAsync("/classify", Json("""{"messages": [{"role": "user", "content": "Tell me a joke."}, {"role": "assistant", "content": "no"}]}"""));
            Assert.Equal(404, (int)unknown.StatusCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact]
    public async Task ATaskRmMustBeInThePoolAndCannotServeRecordedPairs()
    {
        var unknown = await CliRunner.RunAsync("rm-serve", "--task", "arithmetic", "--rm", "oracle", "--port", "0");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("--rm oracle: the arithmetic task's pool has calculator, parser, reader, magnitude, generalist", unknown.Err);
        var both = await CliRunner.RunAsync("rm-serve", "--task", "arithmetic", "--rm", "reader", "--pairs", WritePairs());
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("--pairs and --task exclude each other", both.Err);
        var noPairs = await CliRunner.RunAsync("rm-serve", "--rm", "reader");
        Assert.Equal(1, noPairs.ExitCode);
        Assert.Contains("--pairs is required", noPairs.Err);
        var template = await CliRunner.RunAsync("rm-serve", "--task", "arithmetic", "--rm", "reader", "--port", "0", "--query-template", "{prompt}{response}");
        Assert.Equal(1, template.ExitCode);
        Assert.Contains("some text between them", template.Err);
    }
}
