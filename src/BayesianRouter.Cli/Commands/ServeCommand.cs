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
        var host = new Option<string>("--host") { Description = "Address to bind: an IP address, localhost, or a name this machine resolves (a name that does not resolve is an error). Default loopback only; binding another address exposes the service (use a token).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port; 0 picks a free one (printed in the \"listening on\" line).", DefaultValueFactory = _ => 8080 };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = "File holding the bearer token every endpoint but /healthz requires (Authorization: Bearer <token>). The token is never logged." };
        var insecure = new Option<bool>("--insecure-local") { Description = "Serve without a token: only allowed on a loopback --host." };
        var durability = new Option<LogDurability>("--durability") { Description = "full: every commit is fsynced (survives power loss); normal: commits survive a crash of the process (kill -9) but maybe not of the machine. Either way a response is sent only after its commit.", DefaultValueFactory = _ => LogDurability.Full, HelpName = "full|normal" };
        var maxBody = new Option<long>("--max-request-bytes") { Description = "Largest request body (413 above; at least 1024).", DefaultValueFactory = _ => 32L << 20 };
        var maxPairs = new Option<int>("--max-pairs") { Description = "Most pairs per /v1/label request and most items per /v1/feedback request is 8x this (413 above).", DefaultValueFactory = _ => 1024 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Write the posterior checkpoint after this many feedback batches (and at shutdown); a restart replays the feedback logged since.", DefaultValueFactory = _ => 200 };
        var deadline = new Option<double>("--request-deadline") { Description = "Seconds the RM calls of one /v1/label request may take: an RM too slow for its share falls back to the router's next choice, and the request answers by then (pairs no RM labelled in time come back unlabelled). Clients should wait longer than this plus the encoding time.", DefaultValueFactory = _ => 60 };
        var cmd = new Command("serve",
            "Run the routing service: POST /v1/label routes each pair to one RM of the pool and returns its label; POST /v1/feedback " +
            "learns from the trainer's per-pair DPO losses (or shaped rewards); POST /get_reward and /v1/rewards score groups of rollouts in OpenRLHF's shape, one RM per group (docs/integrations.md); GET /v1/router, /healthz, /metrics (Prometheus). " +
            "Prints \"listening on http://HOST:PORT\" when ready; stops on Ctrl+C or SIGTERM (writing a checkpoint).");
        live.AddTo(cmd);
        foreach (var o in new Option[] { state, host, port, tokenFile, insecure, durability, maxBody, maxPairs, checkpointEvery, deadline }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, cancellationToken) =>
        {
            // Every option is checked before anything is loaded or created: a bad value leaves no state folder behind.
            var token = ReadToken(parse.GetValue(tokenFile), parse.GetValue(insecure));
            string h = parse.GetValue(host)!;
            int p = parse.GetValue(port);
            if (p is < 0 or > 65535) throw new CliUsageException($"--port {p}: must lie in 0..65535 (0 picks a free port)");
            int pairsLimit = parse.GetValue(maxPairs);
            if (pairsLimit < 1) throw new CliUsageException($"--max-pairs {pairsLimit}: must be at least 1");
            long bodyLimit = parse.GetValue(maxBody);
            if (bodyLimit < 1024) throw new CliUsageException($"--max-request-bytes {bodyLimit}: must be at least 1024");
            int every = parse.GetValue(checkpointEvery);
            if (every < 1) throw new CliUsageException($"--checkpoint-every {every}: must be at least 1 (feedback batches between checkpoints)");
            double seconds = parse.GetValue(deadline);
            if (!(seconds > 0 && seconds <= 86400))
                throw new CliUsageException($"--request-deadline {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}: must lie in (0, 86400] seconds");
            live.Check(parse);
            IReadOnlyList<System.Net.IPAddress> addresses;
            try
            {
                addresses = ListenAddresses.Resolve(h);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--host {h}: {e.Message}");
            }
            if (token is null && !addresses.All(System.Net.IPAddress.IsLoopback))
                throw new CliUsageException($"--insecure-local serves only on a loopback address; --host {h} is not one (give --token-file to serve there)");
            var dir = parse.GetValue(state)!.FullName;
            OutputPath.CheckFolder(dir, "--state");
            using var parts = live.Build(parse);
            RoutingServer server;
            try
            {
                // binds the port first: a port in use fails here, before the state folder is created
                server = await RoutingServer.StartAsync(new ServiceOptions
                {
                    Setup = parts.Setup,
                    RewardModels = parts.Rms,
                    Embedder = parts.Embedder,
                    StateDirectory = dir,
                    Host = h,
                    Port = p,
                    Token = token,
                    InsecureLocal = token is null,
                    Durability = parse.GetValue(durability),
                    MaxRequestBytes = bodyLimit,
                    MaxPairsPerRequest = pairsLimit,
                    MaxFeedbackPerRequest = 8 * pairsLimit,
                    CheckpointEveryBatches = every,
                    RequestDeadline = TimeSpan.FromSeconds(seconds),
                    Session = live.SessionOptions(parse, parts),
                    Rewards = Service.Rewards.RewardServiceOptions.FromPool(parts.Specs, parts.Rewards),
                    Log = io.Err,
                }, cancellationToken);
            }
            catch (IOException e) when (e.Message.StartsWith("cannot listen", StringComparison.Ordinal))
            {
                throw new CliUsageException($"--port {p}: {e.Message}; choose another --port, or --port 0 for a free one");
            }
            await using (server)
            {
                LiveCliOptions.KeepRouter(parts.Offline, dir);
                var stats = server.Session.Statistics();
                io.Err.WriteLine($"[serve] state {dir}: {stats.Decisions} decisions, {stats.Feedback} feedback items ({server.Session.FeedbackBatches} batches, " +
                    $"{server.Session.ReplayedBatches} replayed from the log since the checkpoint); pool {string.Join(", ", parts.Setup.Pool)}; " +
                    $"{(parts.Offline is null ? "zero prior" : $"offline prior, online model {parts.Setup.Model}")}");
                io.Out.WriteLine($"listening on http://{(h.Contains(':') ? $"[{h}]" : h)}:{server.Address.Port}");
                io.Out.Flush();
                await server.WaitForShutdownAsync(cancellationToken);
                io.Err.WriteLine("[serve] stopping: writing the checkpoint");
                await server.StopAsync();
            }
            return 0;
        });
        return cmd;
    }

    private static string? ReadToken(FileInfo? file, bool insecure)
    {
        if (file is null && !insecure) throw new CliUsageException("give --token-file FILE (a bearer token every endpoint but /healthz requires), or --insecure-local to serve on loopback without one");
        if (file != null && insecure) throw new CliUsageException("--token-file and --insecure-local exclude each other");
        if (file is null) return null;
        if (!file.Exists) throw new CliUsageException($"--token-file {file.FullName}: no such file");
        var token = File.ReadAllText(file.FullName).Trim();
        if (token.Length == 0) throw new CliUsageException($"--token-file {file.FullName}: the file is empty");
        if (token.Any(char.IsWhiteSpace)) throw new CliUsageException($"--token-file {file.FullName}: the token must be one word (no spaces or line breaks)");
        return token;
    }
}
