using System.CommandLine;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;
using BayesianRouter.RewardModels.Serving;

namespace BayesianRouter.Cli.Commands;

/// <summary>
/// <c>bayesrouter rm-serve</c>: one RM's recorded judgments served over the three RM protocols
/// (<see cref="RecordedRmServer"/>), for dry runs of a pipeline and as a real server in tests; or, with
/// <c>--task arithmetic</c>, one live RM of the align task's pool over the scorer protocols (<see cref="ScorerRmServer"/>),
/// so that <c>align --pool</c> calls its RMs over HTTP as a trainer would.
/// </summary>
public static class RmServeCommand
{
    public static Command Create(CliIO io)
    {
        var pairs = new Option<string>("--pairs")
        {
            Description = "Pair file with response texts whose recorded judgments are served (e.g. from `data import rewardmath --part rewardbench`). Required unless --task is given.",
        };
        var rm = new Option<string>("--rm") { Description = "The RM whose judgments are served (a name in the pair file's judgments), or with --task an RM of the task's pool.", Required = true };
        var task = new Option<string?>("--task") { Description = "Serve a live RM of `align`'s task instead of recorded judgments: arithmetic. It scores each (prompt, response) over vLLM's /classify (chat form) and, with a --query-template that separates {prompt} and {response}, OpenRLHF's /get_reward." };
        task.AcceptOnlyFromAmong("arithmetic");
        var scenario = new Option<string>("--scenario") { Description = "With --task: the pool's scenario (static, or drift: the reader RM rewards answers ending with a period).", DefaultValueFactory = _ => "static" };
        scenario.AcceptOnlyFromAmong([.. TaskScenarios.Names]);
        var host = new Option<string>("--host") { Description = "Address to bind (an IP address or localhost).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on; 0 picks a free one (the printed line tells which).", DefaultValueFactory = _ => 8000 };
        var latency = new Option<double>("--latency-ms") { Description = "Delay added before every answer, in milliseconds." };
        var failRate = new Option<double>("--fail-rate") { Description = "Share of requests (0..1) answered with HTTP 500 at random, drawn from --seed." };
        var seed = new Option<int>("--seed") { Description = "Seed of the --fail-rate draws.", DefaultValueFactory = _ => 1 };
        var fault = new Option<string>("--fault")
        {
            Description = "Misbehave on every request: none, timeout (never answer), 500, malformed (cut-off JSON), nan (NaN scores; " +
                $"a judge answers \"NaN\"). A request's {RecordedRmServer.FaultHeader} header overrides it.",
            DefaultValueFactory = _ => "none",
        };
        var queryTemplate = new Option<string?>("--query-template")
        {
            Description = $"The openrlhf query template your pool file uses (placeholders {{prompt}}, {{response}}); default \"{RmTemplate.DefaultQuery}\".",
        };
        var judgeTemplate = new Option<string?>("--judge-template")
        {
            Description = "The openai-judge template your pool file uses (placeholders {prompt}, {response_0}, {response_1}); default: the built-in one (docs/rm-backends.md).",
        };
        var cmd = new Command("rm-serve",
            "Serve one RM's recorded judgments over the RM protocols: vLLM POST /classify (chat form), OpenRLHF POST /get_reward and an " +
            "OpenAI-compatible judge POST /v1/chat/completions, looked up by prompt and response text (unknown text: HTTP 404 naming it). " +
            "Prints one line `listening on http://HOST:PORT` when ready and serves until Ctrl+C or SIGTERM. See docs/rm-backends.md.");
        foreach (var o in new Option[] { pairs, rm, task, scenario, host, port, latency, failRate, seed, fault, queryTemplate, judgeTemplate }) cmd.Options.Add(o);
        cmd.SetAction(async (r, ct) =>
        {
            if (r.GetValue(port) is var p and (< 0 or > 65535)) throw new CliUsageException($"--port {p}: must lie in 0..65535 (0 picks a free port)");
            if (r.GetValue(task) is not null) return await ServeTaskRm(io, r, rm, scenario, host, port, queryTemplate, pairs, ct);
            if (r.GetValue(pairs) is null) throw new CliUsageException("--pairs is required (or --task arithmetic to serve a live RM of align's task)");
            if (!RmFaults.TryParse(r.GetValue(fault), out var mode))
                throw new CliUsageException($"--fault \"{r.GetValue(fault)}\" is not one of {string.Join(", ", RmFaults.ByName.Keys)}");
            var path = r.GetValue(pairs)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such pair file", path);
            var record = RecordedJudgments.From(PairFile.Read(path), r.GetValue(rm)!, path);
            var options = new RecordedRmServerOptions
            {
                Host = r.GetValue(host)!,
                Port = r.GetValue(port),
                LatencyMs = r.GetValue(latency),
                FailRate = r.GetValue(failRate),
                Seed = r.GetValue(seed),
                Fault = mode,
                QueryTemplate = Template(r.GetValue(queryTemplate), RmTemplate.QueryPlaceholders, "--query-template"),
                JudgeTemplate = Template(r.GetValue(judgeTemplate), RmTemplate.JudgePlaceholders, "--judge-template"),
            };
            RecordedRmServer started;
            try
            {
                started = await RecordedRmServer.StartAsync(record, options, ct);
            }
            catch (IOException e)
            {
                throw new CliUsageException($"--port {options.Port}: cannot listen on {options.Host}:{options.Port}: {ListenFailure(e)}; choose another --port, or --port 0 for a free one");
            }
            await using var server = started;
            Warn(io, record, server);
            io.Out.WriteLine($"listening on {server.Url.ToString().TrimEnd('/')}");
            io.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Why the server could not bind, in words (the innermost socket error).</summary>
    internal static string ListenFailure(Exception e)
    {
        for (var x = (Exception?)e; x != null; x = x.InnerException)
            if (x is System.Net.Sockets.SocketException s)
                return s.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.AddressAlreadyInUse => "the address is already in use (another process listens there)",
                    System.Net.Sockets.SocketError.AddressNotAvailable => "the address is not one of this machine's",
                    System.Net.Sockets.SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                    _ => s.Message,
                };
        return e.Message;
    }

    /// <summary>One live RM of the arithmetic task's pool over the scorer protocols, until Ctrl+C or SIGTERM.</summary>
    private static async Task<int> ServeTaskRm(CliIO io, ParseResult r, Option<string> rm, Option<string> scenario, Option<string> host, Option<int> port,
        Option<string?> queryTemplate, Option<string> pairs, CancellationToken ct)
    {
        if (r.GetValue(pairs) is not null) throw new CliUsageException("--pairs and --task exclude each other: a task RM scores live, it serves no recorded judgments");
        var pool = TaskRewardModels.Pool(TaskScenarios.Parse(r.GetValue(scenario)!));
        var name = r.GetValue(rm)!;
        var scorer = pool.FirstOrDefault(x => x.Name == name)
            ?? throw new CliUsageException($"--rm {name}: the arithmetic task's pool has {string.Join(", ", pool.Select(x => x.Name))}");
        var options = new ScorerRmServerOptions { Host = r.GetValue(host)!, Port = r.GetValue(port), QueryTemplate = r.GetValue(queryTemplate) };
        ScorerRmServer server;
        try
        {
            server = await ScorerRmServer.StartAsync(scorer, options, ct);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }
        await using var _ = server;
        io.Err.WriteLine($"serving the arithmetic task's RM \"{name}\" ({r.GetValue(scenario)} scenario): {scorer.Description}");
        io.Out.WriteLine($"listening on {server.Url.ToString().TrimEnd('/')}");
        io.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }

    private static string? Template(string? text, IReadOnlyList<string> placeholders, string option)
    {
        if (text is null) return null;
        var missing = RmTemplate.Missing(text, placeholders);
        if (missing.Count > 0) throw new CliUsageException($"{option} lacks {string.Join(", ", missing.Select(m => "{" + m + "}"))}");
        return text;
    }

    /// <summary>What the served answers may get wrong, on standard error (standard output carries only the ready line).</summary>
    private static void Warn(CliIO io, RecordedJudgments record, RecordedRmServer server)
    {
        io.Err.WriteLine($"serving {record.PairCount} recorded judgments of RM \"{record.Rm}\"" +
            (record.AllScored ? $" ({record.ScoredResponses} scored responses)" : " (verdicts: judge protocol only)"));
        if (record.ConflictingScores > 0)
            io.Err.WriteLine($"warning: {record.ConflictingScores} (prompt, response) pairs were recorded with different scores; the scorer protocols answer the first " +
                "(a pair file without response texts gives every response the same text \"\")");
        if (record.ConflictingPairs > 0)
            io.Err.WriteLine($"warning: {record.ConflictingPairs} pairs were recorded twice with different judgments; the first is answered");
        if (server.AmbiguousQueries > 0)
            io.Err.WriteLine($"warning: {server.AmbiguousQueries} responses give the same openrlhf query text as another under the query template; the first is answered");
    }
}
