using System.Net;
using System.Net.Sockets;
using BayesianRouter.Data;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// Issue 19's "tried as a new user would" on the live commands (serve, label, rm-serve): every bad value, path or port is
/// one line "error: ..." naming the option and the value (never a .NET type, never the help), exit 1, and nothing is
/// left on disk: no state folder, no output file.
/// </summary>
public class LiveCommandTripTests : DataTempFolderTest
{
    private static void AssertOneLineError(CliResult r, string expected)
    {
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Err}");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{r.Err}");
        Assert.StartsWith("error: --", lines[0]);   // it names the option
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotMatch(@"System\.[A-Z]|BayesianRouter\.[A-Za-z.]*[A-Z][a-z]+[A-Z]|Exception|Could not find a part", lines[0]);
        Assert.Equal("", r.Out);
    }

    private (string Dir, string Pool, string Token) Setup()
    {
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        File.WriteAllText(pool, "{\"rms\": [{\"name\": \"a\", \"backend\": \"openrlhf\", \"url\": \"http://127.0.0.1:9\"}, {\"name\": \"b\", \"backend\": \"openrlhf\", \"url\": \"http://127.0.0.1:9\"}]}");
        var token = Path.Combine(dir, "token");
        File.WriteAllText(token, "trip-token");
        return (dir, pool, token);
    }

    private static string WritePairs(string dir)
    {
        var path = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(path, [new PreferencePair { Id = "p1", Group = "g1", Prompt = "2 + 2?", ResponseA = "4", ResponseB = "5" }]);
        return path;
    }

    [Theory]
    [InlineData("--checkpoint-every 0", "--checkpoint-every 0: must be at least 1")]
    [InlineData("--mc-draws -1", "--mc-draws -1: must be 0 (exact) or more")]
    [InlineData("--explore 1.5", "--explore 1.5: must lie in [0, 1)")]
    [InlineData("--port 70000", "--port 70000: must lie in 0..65535")]
    [InlineData("--port abc", "--port abc: must be a whole number")]
    [InlineData("--durability fast", "--durability fast: must be one of full, normal")]
    [InlineData("--online-model linear", "--online-model linear: must be one of hierarchical, paper")]
    [InlineData("--request-deadline 0", "--request-deadline 0: must lie in (0, 86400] seconds")]
    [InlineData("--max-tokens 2", "--max-tokens 2: must lie in 4..512")]
    [InlineData("--max-pairs 0", "--max-pairs 0: must be at least 1")]
    [InlineData("--host nosuchhost.invalid", "--host nosuchhost.invalid: the host \"nosuchhost.invalid\" does not resolve to an address")]
    [InlineData("--insecure-local --host 0.0.0.0", "--insecure-local serves only on a loopback address")]
    public async Task Serve_refuses_a_bad_value_in_one_line_before_the_state_folder_is_created(string options, string expected)
    {
        var (dir, pool, token) = Setup();
        var state = Path.Combine(dir, "state");
        var args = new List<string> { "serve", "--pool", pool, "--state", state, "--encoder-cache", Path.Combine(dir, "cache") };
        if (!options.Contains("--insecure-local")) args.AddRange(["--token-file", token]);
        args.AddRange(options.Split(' '));
        AssertOneLineError(await CliRunner.RunAsync([.. args]), expected);
        Assert.False(Directory.Exists(state));
        Assert.False(Directory.Exists(Path.Combine(dir, "cache")));
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_or_an_unwritable_state_says_so_in_one_line_and_creates_nothing()
    {
        var (dir, pool, token) = Setup();
        var state = Path.Combine(dir, "state");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var inUse = await CliRunner.RunAsync("serve", "--pool", pool, "--state", state, "--token-file", token, "--port", $"{port}", "--encoder-cache", Path.Combine(dir, "cache"));
        AssertOneLineError(inUse, $"--port {port}: cannot listen on 127.0.0.1:{port}: the address is already in use (another process listens there); choose another --port, or --port 0 for a free one");
        Assert.False(Directory.Exists(state));

        var unwritable = await CliRunner.RunAsync("serve", "--pool", pool, "--state", "/proc/bayesrouter-state", "--token-file", token, "--port", "0");
        AssertOneLineError(unwritable, "--state /proc/bayesrouter-state: cannot write in /proc");
        var missingToken = await CliRunner.RunAsync("serve", "--pool", pool, "--state", state, "--token-file", Path.Combine(dir, "no", "token"));
        AssertOneLineError(missingToken, $"--token-file {Path.Combine(dir, "no", "token")}: no such file");
        var missingPool = await CliRunner.RunAsync("serve", "--pool", Path.Combine(dir, "nopool.json"), "--state", state, "--token-file", token);
        AssertOneLineError(missingPool, "--pool ");
        var notJson = Path.Combine(dir, "pool-not-json.json");
        File.WriteAllText(notJson, "{\"rms\": [\n{\"name\": \"a\",}]}");
        var malformed = await CliRunner.RunAsync("serve", "--pool", notJson, "--state", state, "--token-file", token);
        Assert.Equal($"error: {notJson}: line 2: not valid JSON: unexpected '}}' at byte 14 (a comma before a closing bracket, or a missing value?)", malformed.Err.Trim());
        Assert.Equal(1, malformed.ExitCode);
        Assert.False(Directory.Exists(state));
    }

    [Theory]
    [InlineData("--out", "/proc/labelled.jsonl", "--out /proc/labelled.jsonl: cannot write in /proc")]
    [InlineData("--state", "/proc/label-state", "--state /proc/label-state: cannot write in /proc")]
    [InlineData("--explore", "1.5", "--explore 1.5: must lie in [0, 1)")]
    [InlineData("--mc-draws", "-1", "--mc-draws -1: must be 0 (exact) or more")]
    [InlineData("--batch-size", "0", "--batch-size 0: must be at least 1")]
    [InlineData("--feedback", "maybe", "--feedback maybe: must be one of none, truth")]
    public async Task Label_refuses_a_bad_value_or_an_unwritable_output_before_labelling_anything(string option, string value, string expected)
    {
        var (dir, pool, _) = Setup();
        var pairs = WritePairs(dir);
        var outFile = Path.Combine(dir, "labelled.jsonl");
        var args = new List<string> { "label", "--pool", pool, "--pairs", pairs, "--encoder-cache", Path.Combine(dir, "cache") };
        if (option != "--out") args.AddRange(["--out", outFile]);
        args.AddRange([option, value]);
        AssertOneLineError(await CliRunner.RunAsync([.. args]), expected);
        Assert.False(File.Exists(outFile));
        Assert.False(Directory.Exists(outFile + ".state"));
        Assert.False(Directory.Exists(Path.Combine(dir, "cache"))); // nothing was embedded
    }

    [Fact]
    public async Task Rm_serve_on_a_port_in_use_or_out_of_range_says_so_in_one_line()
    {
        var dir = NewFolder();
        var pairs = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(pairs, [new PreferencePair
        {
            Id = "p1", Group = "g1", Prompt = "2 + 2?", ResponseA = "4", ResponseB = "5",
            Judgments = new Dictionary<string, Judgment> { ["rm1"] = Judgment.FromScores(1, 0) },
        }]);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        AssertOneLineError(await CliRunner.RunAsync("rm-serve", "--pairs", pairs, "--rm", "rm1", "--port", $"{port}"),
            $"--port {port}: cannot listen on 127.0.0.1:{port}: the address is already in use");
        AssertOneLineError(await CliRunner.RunAsync("rm-serve", "--pairs", pairs, "--rm", "rm1", "--port", "70000"), "--port 70000: must lie in 0..65535");
    }

    [Fact]
    public async Task A_bad_enum_value_anywhere_is_one_line_without_the_type()
    {
        var dir = NewFolder();
        var r = await CliRunner.RunAsync("offline", "train", "--pairs", Path.Combine(dir, "p.jsonl"), "--pool", "a,b", "--out", Path.Combine(dir, "r.bin"), "--activation", "sigmoid");
        AssertOneLineError(r, "--activation sigmoid: must be one of identity, tanh, relu");
    }
}
