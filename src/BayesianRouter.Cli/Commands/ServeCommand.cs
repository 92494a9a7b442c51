using System.CommandLine;
using BayesianRouter.Service;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter serve</c>: the routing service (docs/service.md).</summary>
public static class ServeCommand
{
    public static Command Create(CliIO io)
    {
        var live = new LiveCliOptions();
        var state = new Option<DirectoryInfo>("--state") { Description = "Folder of the durable state: decisions.db (SQLite, WAL: every decision and feedback item), checkpoint.bin (posteriors), router.bin. A restart on the same folder continues where the service stopped, also after kill -9.", Required = true };
        var host = new Option<string>("--host") { Description = "Address to bind. Default loopback only; binding another address exposes the service (use a token).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port; 0 picks a free one (printed in the \"listening on\" line).", DefaultValueFactory = _ => 8080 };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = "File holding the bearer token every endpoint but /healthz requires (Authorization: Bearer <token>). The token is never logged." };
        var insecure = new Option<bool>("--insecure-local") { Description = "Serve without a token: only allowed on a loopback --host." };
        var durability = new Option<LogDurability>("--durability") { Description = "full: every commit is fsynced (survives power loss); normal: commits survive a crash of the process (kill -9) but maybe not of the machine. Either way a response is sent only after its commit.", DefaultValueFactory = _ => LogDurability.Full };
        var maxBody = new Option<long>("--max-request-bytes") { Description = "Largest request body (413 above).", DefaultValueFactory = _ => 32L << 20 };
        var maxPairs = new Option<int>("--max-pairs") { Description = "Most pairs per /v1/label request and most items per /v1/feedback request is 8x this (413 above).", DefaultValueFactory = _ => 1024 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Write the posterior checkpoint after this many feedback batches (and at shutdown); a restart replays the feedback logged since.", DefaultValueFactory = _ => 200 };
        var cmd = new Command("serve",
            "Run the routing service: POST /v1/label routes each pair to one RM of the pool and returns its label; POST /v1/feedback " +
            "learns from the trainer's per-pair DPO losses (or shaped rewards); POST /get_reward and /v1/rewards score groups of rollouts in OpenRLHF's shape, one RM per group (docs/integrations.md); GET /v1/router, /healthz, /metrics (Prometheus). " +
            "Prints \"listening on http://HOST:PORT\" when ready; stops on Ctrl+C or SIGTERM (writing a checkpoint).");
        live.AddTo(cmd);
        foreach (var o in new Option[] { state, host, port, tokenFile, insecure, durability, maxBody, maxPairs, checkpointEvery }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, cancellationToken) =>
        {
            var token = ReadToken(parse.GetValue(tokenFile), parse.GetValue(insecure));
            string h = parse.GetValue(host)!;
            int pairsLimit = parse.GetValue(maxPairs);
            if (pairsLimit < 1) throw new CliUsageException($"--max-pairs {pairsLimit}: must be at least 1");
            using var parts = live.Build(parse);
            var dir = parse.GetValue(state)!.FullName;
            Directory.CreateDirectory(dir);
            LiveCliOptions.KeepRouter(parts.Offline, dir);
            await using var server = await RoutingServer.StartAsync(new ServiceOptions
            {
                Setup = parts.Setup,
                RewardModels = parts.Rms,
                Embedder = parts.Embedder,
                StateDirectory = dir,
                Host = h,
                Port = parse.GetValue(port),
                Token = token,
                InsecureLocal = token is null,
                Durability = parse.GetValue(durability),
                MaxRequestBytes = parse.GetValue(maxBody),
                MaxPairsPerRequest = pairsLimit,
                MaxFeedbackPerRequest = 8 * pairsLimit,
                CheckpointEveryBatches = parse.GetValue(checkpointEvery),
                Session = live.SessionOptions(parse, parts),
                Rewards = Service.Rewards.RewardServiceOptions.FromPool(parts.Specs, parts.Rewards),
                Log = io.Err,
            }, cancellationToken);
            var stats = server.Session.Statistics();
            io.Err.WriteLine($"[serve] state {dir}: {stats.Decisions} decisions, {stats.Feedback} feedback items ({server.Session.FeedbackBatches} batches); pool {string.Join(", ", parts.Setup.Pool)}; {(parts.Offline is null ? "zero prior" : $"offline prior, online model {parts.Setup.Model}")}");
            io.Out.WriteLine($"listening on http://{(h.Contains(':') ? $"[{h}]" : h)}:{server.Address.Port}");
            io.Out.Flush();
            await server.WaitForShutdownAsync(cancellationToken);
            io.Err.WriteLine("[serve] stopping: writing the checkpoint");
            await server.StopAsync();
            return 0;
        });
        return cmd;
    }

    private static string? ReadToken(FileInfo? file, bool insecure)
    {
        if (file is null && !insecure) throw new CliUsageException("give --token-file FILE (a bearer token every endpoint but /healthz requires), or --insecure-local to serve on loopback without one");
        if (file != null && insecure) throw new CliUsageException("--token-file and --insecure-local exclude each other");
        if (file is null) return null;
        if (!file.Exists) throw new FileNotFoundException($"{file.FullName}: no such token file", file.FullName);
        var token = File.ReadAllText(file.FullName).Trim();
        if (token.Length == 0) throw new CliUsageException($"--token-file {file.FullName}: the file is empty");
        if (token.Any(char.IsWhiteSpace)) throw new CliUsageException($"--token-file {file.FullName}: the token must be one word (no spaces or line breaks)");
        return token;
    }
}
