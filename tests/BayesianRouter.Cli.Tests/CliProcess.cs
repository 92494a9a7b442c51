using System.Diagnostics;
using System.Text;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// <c>bayesrouter</c> as a real child process (the built CLI beside the tests), for what in-process runs cannot show:
/// a server's "listening on" line, and a crash by SIGKILL.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new(), _err = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process) => _process = process;

    public static CliProcess Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bayesrouter.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cli = new CliProcess(p);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cli._out) cli._out.AppendLine(e.Data);
            if (e.Data.StartsWith("listening on ", StringComparison.Ordinal)) cli._listening.TrySetResult(e.Data["listening on ".Length..]);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cli._err) cli._err.AppendLine(e.Data);
        };
        p.Exited += (_, _) => cli._listening.TrySetException(new InvalidOperationException($"bayesrouter exited ({p.ExitCode}) before listening:\n{cli.Output}"));
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return cli;
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_out) lock (_err) return _out + "\n--- stderr ---\n" + _err;
        }
    }

    /// <summary>The URL of the "listening on URL" line.</summary>
    public async Task<Uri> ListeningAsync(TimeSpan? timeout = null) =>
        new(await _listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(90)));

    /// <summary>
    /// The first match of <paramref name="pattern"/> in the output, waiting for it: stdout and stderr are read by two
    /// independent readers, so a line the process wrote to stderr before "listening on" may arrive after it. Throws
    /// with the output when it has not appeared within <paramref name="timeout"/> (10 s by default).
    /// </summary>
    public async Task<System.Text.RegularExpressions.Match> WaitForOutputAsync(string pattern, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var match = System.Text.RegularExpressions.Regex.Match(Output, pattern);
            if (match.Success) return match;
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
                throw new TimeoutException($"no output matching '{pattern}' within {clock.Elapsed.TotalSeconds:F0} s:\n{Output}");
            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM (a graceful stop), then the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
